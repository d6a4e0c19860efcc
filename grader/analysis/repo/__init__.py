"""Measures of the repository as a whole (secrets committed to it)."""
