"""Which README lines are commands, and whether a command sets up the environment or runs the project."""

from __future__ import annotations

import pytest
from hypothesis import given

from grader.analysis.readme.commands import commands_in, is_run_command, is_setup_command, looks_like_command
from grader.analysis.readme.document import parse_document
from tests.analysis.strategies import readme_names, readme_text


@pytest.mark.parametrize(("text", "strict", "expected"), [
    ("pip install -r requirements.txt", True, True),
    ("CUDA_VISIBLE_DEVICES=0 python train.py", True, True),
    ("./run_all.sh", False, True),
    (".venv\\Scripts\\activate", False, True),
    ("python", True, False),  # a bare program name in prose is a name, not a command
    ("git", True, False),
    ("usage: train.py [-h]", False, False),
    ("├── data", False, False),
    ("Python 3.10", True, False),
])
def test_looks_like_command(text: str, strict: bool, expected: bool) -> None:
    assert looks_like_command(text, strict=strict) is expected


@pytest.mark.parametrize(("text", "setup", "run"), [
    ("conda create -n x python=3.10 -y", True, False),
    ("python3 -m venv venv && source venv/bin/activate", True, False),
    ("pip install -e .", True, False),
    ("git clone https://example.org/x.git && cd x && python setup.py develop", True, False),
    ("python train.py --epochs 3", False, True),
    ("python -m pytest", False, True),
    ("python -m pip install torch", True, False),
    ("streamlit run app.py", False, True),
    ("jupyter notebook notebooks/demo.ipynb", False, True),
    ("cd data && bash download.sh", False, True),
    ("mkdir data", False, False),
])
def test_setup_and_run_commands(text: str, setup: bool, run: bool) -> None:
    assert is_setup_command(text) is setup
    assert is_run_command(text) is run


def test_console_block_counts_prompted_lines_not_their_output() -> None:
    text = "```console\n(venv) $ pip install .\nSuccessfully installed x\nuser@host:~/x$ python -m x\nok\n```\n"
    commands = commands_in(parse_document(text, "README.md"))
    assert [(c.text, c.line, c.source) for c in commands] == [
        ("pip install .", 2, "prompt"), ("python -m x", 4, "prompt")]


def test_shell_block_lines_count_even_for_unknown_programs_but_not_yaml() -> None:
    text = "```sh\nmytool --fast\n}\n```\n```yaml\npython: 3.10\n```\n"
    assert [c.text for c in commands_in(parse_document(text, "README.md"))] == ["mytool --fast"]


@given(readme_text, readme_names)
def test_commands_of_any_readme_are_non_empty_lines_in_reading_order(text: str, name: str) -> None:
    doc = parse_document(text, name)
    commands = commands_in(doc)
    assert [c.line for c in commands] == sorted(c.line for c in commands)
    for command in commands:
        assert command.text.strip() and 1 <= command.line <= len(doc.lines)
        assert command.source in {"fenced", "indented", "prompt", "inline", "quoted", "heading"}
        assert isinstance(is_setup_command(command.text), bool) and isinstance(is_run_command(command.text), bool)


def test_a_command_continued_over_many_lines_is_one_command() -> None:
    # 100,000 continuation lines: joined once (linear), not re-joined at every line as before.
    text = "```bash\npython train.py \\\n" + "  --flag \\\n" * 100_000 + "  --last\n```\n"
    (command,) = commands_in(parse_document(text, "README.md"))
    assert command.line == 2
    assert command.text.startswith("python train.py --flag --flag") and command.text.endswith("--flag --last")
    assert command.text.count("--flag") == 100_000
