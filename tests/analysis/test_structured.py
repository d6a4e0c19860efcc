"""The bounded loaders of student files: each hostile class becomes an error about the file, never a crash,
a hang or a memory blow-up; plus a bounded property test per loader."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.analysis.structured import MAX_DEPTH, Parsed, load_json, load_notebook, load_toml, load_yaml
from tests.analysis.strategies import conda_text, notebook_text, toml_text


def _laughs(levels: int, fanout: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * fanout) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fanout) + "]" for i in range(1, levels)]
    return "\n".join([*lines, f"dependencies: [*a{levels - 1}]"])


@pytest.mark.parametrize("levels", [7, 9, 10])
def test_yaml_alias_bombs_are_refused_quickly_and_in_little_memory(levels: int) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    parsed = load_yaml(_laughs(levels))
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert parsed.error is not None and "expands to more than" in parsed.error
    assert peak < 50 * 1024 * 1024 and elapsed < 10  # bounds, not timings: the bomb stands for gigabytes


def test_yaml_aliases_used_honestly_still_load() -> None:
    parsed = load_yaml("base: &base {python: '3.11'}\ndev: *base\nprod: {<<: *base, debug: false}\n")
    assert parsed.ok and parsed.data["dev"] == {"python": "3.11"} and parsed.data["prod"]["debug"] is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- " * 200 + "x", f"nested more than {MAX_DEPTH} levels deep"),
        ("[" * 5000, f"nested more than {MAX_DEPTH} levels deep"),
        ("{a: " * 200 + "1" + "}" * 200, f"nested more than {MAX_DEPTH} levels deep"),
        ("a: &a [*a]\n", "an alias refers to the value that contains it"),
        ("released: 2023-02-30\n", "impossible date '2023-02-30'"),
        ("when: 2023-13-01 10:00:00\n", "impossible date"),
        ("a: 1\n---\nb: 2\n", "expected a single document"),
        ("a: *missing\n", "found undefined alias"),
        ("bell: \x07\n", "special characters are not allowed"),
    ],
    ids=["deep-block-list", "deep-flow", "deep-mapping", "recursive-alias", "impossible-date", "impossible-month",
         "two-documents", "undefined-alias", "control-character"],
)
def test_hostile_yaml_is_an_error_about_the_file(text: str, expected: str) -> None:
    parsed = load_yaml(text)
    assert not parsed.ok and parsed.data is None
    assert parsed.error is not None and parsed.error.startswith("invalid YAML") and expected in parsed.error


def test_a_yaml_error_names_its_line() -> None:
    parsed = load_yaml("name: env\ndependencies:\n  - numpy\n  released: 2023-02-30\n")
    assert not parsed.ok and parsed.line in (3, 4)


@pytest.mark.parametrize(
    ("load", "text", "expected"),
    [
        (load_toml, "a = " + "[" * 3000 + "]" * 3000, "invalid TOML: nested too deeply"),
        (load_toml, "a = " + "{b = " * 3000 + "1" + "}" * 3000, "invalid TOML: nested too deeply"),
        (load_toml, "a = " + "[" * 80 + "]" * 80, f"invalid TOML: nested more than {MAX_DEPTH} levels deep"),
        (load_toml, "x = 1979-02-30\n", "invalid TOML"),
        (load_toml, "x = 1\nx = 2\n", "invalid TOML"),
        (load_json, "[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
        (load_json, "[" * 80 + "]" * 80, f"invalid JSON: nested more than {MAX_DEPTH} levels deep"),
        (load_json, "1" * 5000, "invalid JSON: ValueError"),
        (load_json, '{"a": 1,}', "invalid JSON"),
    ],
    ids=["toml-deep-array", "toml-deep-table", "toml-just-over", "toml-impossible-date", "toml-duplicate",
         "json-deep", "json-just-over", "json-huge-integer", "json-trailing-comma"],
)
def test_hostile_toml_and_json_are_errors(load: Callable[[str], Parsed], text: str, expected: str) -> None:
    parsed = load(text)
    assert not parsed.ok and parsed.error is not None and parsed.error.startswith(expected)


def test_toml_and_json_errors_name_the_line() -> None:
    assert load_toml("a = 1\nb = \n").line == 2
    assert load_json('{\n"a": 1,\n"b": }\n').line == 3


def test_notebook_cells_of_the_wrong_type_are_problems_of_the_cell() -> None:
    text = ('{"cells": [{"cell_type": "code", "source": [1, 2]}, 7, {"cell_type": "markdown", "source": ["a", "b"]},'
            ' {"cell_type": 5, "source": "x"}, {"cell_type": "code", "source": null}, {"cell_type": "code",'
            ' "source": "import os"}]}')
    notebook = load_notebook(text)
    assert notebook.error is None
    assert [(c.index, c.kind, c.source) for c in notebook.cells] == [
        (0, "code", ""), (2, "markdown", "ab"), (4, "code", ""), (5, "code", "import os")]
    assert notebook.problems == (
        "cell 1: its source is not text (a list holding int); read as empty",
        "cell 2 is not a cell (a int); skipped",
        "cell 4: cell_type is not text (a int); skipped",
        "cell 5: its source is not text (null); read as empty",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("[]", "no list of cells"), ('{"cells": 3}', "no list of cells"), ("{", "not a valid notebook"),
     ('{"cells": ' + "[" * 200 + "]" * 200 + "}", "not a valid notebook")],
)
def test_files_that_are_no_notebook_at_all(text: str, expected: str) -> None:
    notebook = load_notebook(text)
    assert notebook.cells == () and notebook.error is not None and expected in notebook.error


def _bounded(parsed: Parsed) -> None:
    assert isinstance(parsed, Parsed)
    assert (parsed.error is None) or (parsed.data is None and parsed.error.strip())
    if parsed.line is not None:
        assert parsed.line >= 1


@given(st.one_of(conda_text, st.text(max_size=300)))
def test_any_yaml_loads_or_is_an_error(text: str) -> None:
    _bounded(load_yaml(text))


@given(st.one_of(toml_text, st.text(max_size=300)))
def test_any_toml_loads_or_is_an_error(text: str) -> None:
    _bounded(load_toml(text))


@given(st.one_of(notebook_text, st.text(max_size=300)))
def test_any_json_loads_or_is_an_error(text: str) -> None:
    _bounded(load_json(text))


@given(notebook_text)
def test_any_notebook_gives_text_cells_or_an_error(text: str) -> None:
    notebook = load_notebook(text)
    assert notebook.error is None or notebook.cells == ()
    assert all(isinstance(c.source, str) and isinstance(c.kind, str) for c in notebook.cells)
    assert len(notebook.problems) <= 11
