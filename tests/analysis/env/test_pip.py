"""Property tests of pip's syntax on untrusted input: requirements files with their includes, install commands."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from grader.analysis.env.model import EnvKind
from grader.analysis.env.pip import install_command_requirements, logical_lines, parse_pep508, parse_requirements_file
from grader.files import SubmissionTree
from tests.analysis.env.properties import assert_well_formed, line_count
from tests.analysis.strategies import install_lines, requirements_text

#: Files a generated requirements.txt may include (and one that includes the top file back: a cycle).
INCLUDED = ("base.txt", "sub/dev.txt")


@given(top=requirements_text, base=requirements_text, dev=requirements_text)
@example(top="numpy\nnumpy===0,~=0", base="", dev="")  # found by hypothesis: packaging raised InvalidSpecifier
@example(top="numpy\n-r a\x00b", base="", dev="")  # found by hypothesis: os.lstat raised ValueError on the NUL
def test_requirements_files_never_raise_and_cite_real_lines(top: str, base: str, dev: str) -> None:
    texts = {"requirements.txt": top, "base.txt": base, "sub/dev.txt": dev + "\n-r ../requirements.txt\n"}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for rel, text in texts.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8", errors="surrogatepass", newline="")
        tree = SubmissionTree(root)
        env = parse_requirements_file(tree, "requirements.txt", top)
    assert_well_formed(env, texts, EnvKind.REQUIREMENTS)
    assert env.error is None
    assert set(env.includes) <= set(INCLUDED)


def test_a_specifier_packaging_rejects_late_is_not_a_requirement() -> None:
    assert parse_pep508("numpy===0,~=0", "requirements.txt", 1) is None
    assert parse_pep508("numpy===0", "requirements.txt", 1) is not None


@given(st.text(max_size=200))
def test_logical_lines_keep_their_first_line_number(text: str) -> None:
    numbers = [number for number, _ in logical_lines(text)]
    assert numbers == sorted(set(numbers))
    assert all(1 <= n <= line_count(text) for n in numbers)
    assert all(line.strip() == line and line for _, line in logical_lines(text))


@given(install_lines, st.integers(1, 10_000))
@example("pip install 'unclosed", 3)
@example("conda install -c conda-forge --channel x numpy=1.2 -y", 1)
def test_install_commands_never_raise_and_name_real_packages(line: str, number: int) -> None:
    reqs = install_command_requirements(line, "README.md", number)
    for req in reqs:
        assert req.name.strip() and req.key not in {"pip", "python"}
        assert (req.path, req.line) == ("README.md", number)
