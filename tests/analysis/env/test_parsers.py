"""Property tests of the environment-file parsers on untrusted input: TOML, conda YAML, setup.py and setup.cfg."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given

from grader.analysis.env.model import EnvFile, EnvKind
from grader.analysis.env.parsers import (
    parse_conda,
    parse_dockerfile,
    parse_lock,
    parse_pipfile,
    parse_pipfile_lock,
    parse_pyproject,
    parse_setup_cfg,
    parse_setup_py,
)
from tests.analysis.env.properties import assert_well_formed
from tests.analysis.strategies import (
    conda_text,
    install_lines,
    notebook_text,
    requirements_text,
    setup_cfg_text,
    setup_py_text,
    toml_text,
)


@given(toml_text)
def test_pyproject_never_raises(text: str) -> None:
    env = parse_pyproject("pyproject.toml", text)
    assert_well_formed(env, {"pyproject.toml": text})
    assert env is None or env.kind in (EnvKind.PYPROJECT, EnvKind.POETRY)


@given(toml_text)
def test_pipfile_never_raises(text: str) -> None:
    assert_well_formed(parse_pipfile("Pipfile", text), {"Pipfile": text}, EnvKind.PIPFILE)


@given(toml_text)
def test_lock_files_never_raise_and_pin_everything(text: str) -> None:
    for name, kind in (("uv.lock", EnvKind.UV_LOCK), ("poetry.lock", EnvKind.POETRY_LOCK)):
        env = parse_lock(name, kind, text)
        assert_well_formed(env, {name: text}, kind)
        assert env.error is not None or env.frozen


@given(notebook_text)
def test_pipfile_lock_never_raises(text: str) -> None:
    assert_well_formed(parse_pipfile_lock("Pipfile.lock", text), {"Pipfile.lock": text}, EnvKind.PIPFILE_LOCK)


@given(conda_text)
def test_conda_never_raises(text: str) -> None:
    env = parse_conda("environment.yml", text)
    assert_well_formed(env, {"environment.yml": text}, EnvKind.CONDA)


@given(setup_py_text)
def test_setup_py_never_raises(text: str) -> None:
    assert_well_formed(parse_setup_py("setup.py", text), {"setup.py": text}, EnvKind.SETUP_PY)


@given(setup_cfg_text)
def test_setup_cfg_never_raises(text: str) -> None:
    assert_well_formed(parse_setup_cfg("setup.cfg", text), {"setup.cfg": text}, EnvKind.SETUP_CFG)


@given(requirements_text, install_lines)
def test_dockerfile_never_raises(text: str, install: str) -> None:
    dockerfile = f"FROM python:3.11\n{text}\nRUN {install}\n"
    assert_well_formed(parse_dockerfile("Dockerfile", dockerfile), {"Dockerfile": dockerfile}, EnvKind.DOCKERFILE)


DEEP_ARRAY = "[" * 3000 + "]" * 3000


@pytest.mark.parametrize(
    ("parse", "text", "error"),
    [
        # Inputs hypothesis found crashing the parsers, kept as they were found.
        (lambda t: parse_conda("environment.yml", t), "dependencies:\n- numpy\n- pip: 1\n", None),
        (lambda t: parse_pipfile_lock("Pipfile.lock", t), DEEP_ARRAY, "invalid JSON: nested too deeply"),
        # The same recursion in the other parsers of nested formats.
        (lambda t: parse_pyproject("pyproject.toml", t), f"a = {DEEP_ARRAY}", "invalid TOML: nested too deeply"),
        (lambda t: parse_pipfile("Pipfile", t), "a = " + "{b = " * 3000 + "1" + "}" * 3000,
         "invalid TOML: nested too deeply"),
        (lambda t: parse_lock("uv.lock", EnvKind.UV_LOCK, t), f"a = {DEEP_ARRAY}", "invalid TOML: nested too deeply"),
        (lambda t: parse_conda("environment.yml", t), f"dependencies: {DEEP_ARRAY}",
         "invalid YAML: nested more than 64 levels deep"),
    ],
    ids=["conda-pip-not-a-list", "pipfile-lock-deep", "pyproject-deep", "pipfile-deep", "uv-lock-deep", "conda-deep"],
)
def test_inputs_that_crashed_a_parser_are_errors_or_warnings(
    parse: Callable[[str], EnvFile | None], text: str, error: str | None
) -> None:
    env = parse(text)
    assert env is not None and env.error == error


def test_a_pip_section_that_is_not_a_list_is_a_warning_not_letters() -> None:
    env = parse_conda("environment.yml", "dependencies:\n- numpy\n- pip: torch\n")
    assert env is not None and [r.name for r in env.requirements] == ["numpy"]
    assert [w.message for w in env.warnings] == ["the pip section is not a list: 'torch'"]


def test_a_yaml_error_at_the_end_points_at_the_last_line() -> None:
    # Found by hypothesis: the mark of an unfinished last line sat one past the file's end (line 7 of 6).
    text = "channels:\n- conda-forge\n- conda-forge\n- conda-forge\n- defaults\nd null\n"
    env = parse_conda("environment.yml", text)
    assert env is not None and env.error is not None and env.error_line == 6


def test_yaml_aliases_are_never_printed_out_in_full() -> None:
    # Found by reading, not by hypothesis: str() of nested aliases grows tenfold per line ("billion laughs"),
    # so a 500-byte environment.yml took seconds at six levels and would exhaust memory at nine.
    lines = ["a0: &a0 [" + ", ".join(["xxxxxxxxxx"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 3)]
    lines.append("dependencies: [*a2, {pip: [*a2]}, {pip: *a2}, numpy]")
    env = parse_conda("environment.yml", "\n".join(lines))
    assert env is not None and [r.name for r in env.requirements] == ["numpy"]
    messages = {w.message for w in env.warnings}
    assert messages == {"not a conda package spec: a list", "not a pip requirement: a list"}


@pytest.mark.parametrize("levels", [6, 9, 12])
def test_yaml_aliases_that_expand_too_far_make_the_file_invalid(levels: int) -> None:
    # Issue 14: 466 bytes of nested anchors took 3 GB; the bounded loader counts the expanded size first.
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    lines.append(f"dependencies: [*a{levels - 1}]")
    env = parse_conda("environment.yml", "\n".join(lines))
    assert env is not None and env.requirements == ()
    assert env.error is not None and "expands to more than" in env.error
