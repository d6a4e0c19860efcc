"""Keyword spotting on synthetic audio: data generation, log-mel features and a small numpy neural network."""
