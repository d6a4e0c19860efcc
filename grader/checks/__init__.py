"""Rubric checks, grouped by family (readme, env, code, paper, repo, run)."""
