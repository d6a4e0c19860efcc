"""Hostile: fork until the pids limit stops it."""
import contextlib
import os

while True:
    with contextlib.suppress(OSError):
        os.fork()
