"""Tests for grader.acquire: hardened fetching, the deadline cut, local folders."""
