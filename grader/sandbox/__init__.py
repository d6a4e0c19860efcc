"""The Docker sandbox: build a group's environment and run its code under a strict policy."""
