"""grader: grades student software projects (README, environment, code, paper, and code that runs) against a rubric."""

__version__ = "0.1.0"
