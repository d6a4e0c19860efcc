"""Measures of the group's Python code: sources and notebooks, comments, docstrings, pylint."""
