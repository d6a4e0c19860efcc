"""Measures of the README: its structure, sections and the commands it gives."""
