"""Measures of the environment files: finding, parsing, pins, and which distribution provides an import."""
