"""What every parsed environment file must satisfy, whatever the student wrote: the property tests' invariants."""

from __future__ import annotations

from collections.abc import Mapping

from grader.analysis.env.model import EnvFile, EnvKind


def line_count(text: str) -> int:
    """Lines of a file as the parsers number them."""
    return len(text.splitlines())


def assert_well_formed(env: EnvFile | None, texts: Mapping[str, str], kind: EnvKind | None = None) -> None:
    """`env` is None or an EnvFile whose names are non-empty and whose every line number points into its file.

    `texts` maps each path the parse may cite (the file and the files it includes) to its text.
    """
    if env is None:
        return
    assert isinstance(env, EnvFile)
    assert env.path in texts
    if kind is not None:
        assert env.kind is kind
    cited = {env.path, *env.includes}
    assert cited <= set(texts), f"includes outside what was written: {env.includes}"
    if env.error is not None:
        assert env.error.strip()
        assert env.requirements == ()
    if env.error_line is not None:
        assert 1 <= env.error_line <= max(1, line_count(texts[env.path])), (env.error, env.error_line)
    for req in env.requirements:
        assert req.name.strip(), req
        assert req.key, req
        assert req.path in cited, req
        if req.line is not None:
            assert 1 <= req.line <= line_count(texts[req.path]), req
    for problem in env.warnings:
        assert problem.message.strip()
        assert problem.path in cited, problem
        if problem.line is not None:
            assert 1 <= problem.line <= line_count(texts[problem.path]), problem
