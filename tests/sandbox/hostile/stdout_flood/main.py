"""Hostile: print a gigabyte."""
import sys

block = "x" * (1024 * 1024 - 1) + "\n"
for _ in range(1024):
    sys.stdout.write(block)
