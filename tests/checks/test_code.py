"""The code.* checks driven through real files: comment density, docstring coverage, pylint score."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks.code import (
    CodeCommentsCheck,
    CodeCommentsOptions,
    CodeDocstringsCheck,
    CodeDocstringsOptions,
    CodePylintCheck,
    CodePylintOptions,
)
from grader.files import SubmissionTree
from grader.models import Severity, Status
from grader.outcomes import BuildResult, InstalledCopy, RunOutcome, StepOutcome, StepStatus
from tests.harness import MakeTree, notebook_json, run_on

WELL_COMMENTED = '''\
"""Audio features for the keyword model."""

import numpy as np


def frame(signal, size, hop):
    """Cut `signal` into overlapping frames of `size` samples, `hop` apart."""
    # The last partial frame is dropped: padding would add silence the model never sees in training.
    count = 1 + (len(signal) - size) // hop
    return np.stack([signal[i * hop:i * hop + size] for i in range(count)])


def energy(frames):
    """Mean power of each frame, in dB."""
    power = (frames ** 2).mean(axis=1)
    # A floor keeps silent frames finite.
    return 10 * np.log10(power + 1e-10)
'''



# -- code.comments -----------------------------------------------------------------------------------------------


def test_well_commented_code_scores_full(make_tree: MakeTree) -> None:
    result = run_on(CodeCommentsCheck(), make_tree({"features.py": WELL_COMMENTED}))
    assert result.status is Status.PASSED and result.score == 1.0
    assert result.measurements["code_lines"] == 7
    assert result.measurements["comment_lines"] == 2 and result.measurements["docstring_lines"] == 3
    assert result.measurements["commented_out_lines"] == 0
    assert result.measurements["comment_ratio"] == round(5 / 7, 3)


def test_500_lines_of_commented_out_code_next_to_60_lines_does_not_score_high(make_tree: MakeTree) -> None:
    code = "\n".join(f"value_{i} = compute({i})  # step {i} of the pipeline" for i in range(60))
    dead = "\n".join(f"# old_value_{i} = compute_old({i}, scale=2)" for i in range(500))
    root = make_tree({"train.py": code + "\n\n" + dead + "\n"})
    result = run_on(CodeCommentsCheck(), root)
    assert result.measurements["code_lines"] == 60
    assert result.measurements["commented_out_lines"] == 500
    assert result.measurements["comment_lines"] == 60  # only the inline prose comments count
    assert result.score < 0.15 and result.status is Status.FAILED
    block = result.findings[0]
    assert block.path == "train.py" and block.line == 62 and "lines 62-561" in block.message


def test_largest_blocks_come_first_with_their_line_ranges(make_tree: MakeTree) -> None:
    root = make_tree({
        "a.py": "x = 1\n# y = 2\nz = 3\n# q = f(x)\n# r = g(q)\n# print(r)\n",
        "b.py": '"""B."""\n\n\ndef f():\n    """Do f."""\n    # return 1\n    return 2\n',
    })
    result = run_on(CodeCommentsCheck(), root)
    located = [(f.path, f.line) for f in result.findings if "commented-out" in f.message]
    assert located == [("a.py", 4), ("a.py", 2), ("b.py", 6)]


def test_banner_headers_that_are_prose_count_as_documentation(make_tree: MakeTree) -> None:
    prose = "# Data loading: clips are resampled to 16 kHz so every\n# model sees the same rate.\n"
    banner = "#" * 60 + "\n" + prose + "#" * 60
    code = "\n".join(f"x{i} = {i}" for i in range(10))
    result = run_on(CodeCommentsCheck(), make_tree({"load.py": banner + "\n" + code + "\n"}))
    assert result.measurements["comment_lines"] == 2
    assert result.measurements["decoration_lines"] == 2
    assert result.measurements["commented_out_lines"] == 0
    assert result.measurements["comment_ratio"] == 0.2 and result.score == 1.0


def test_notebook_markdown_counts_as_documentation(make_tree: MakeTree) -> None:
    nb = notebook_json(("markdown", "# Results\n\nAccuracy per keyword, as in table 2 of the paper.\n"),
                   ("code", "import numpy as np\nscores = np.zeros(4)\nprint(scores)\n"))
    result = run_on(CodeCommentsCheck(), make_tree({"results.ipynb": nb}))
    assert result.measurements["markdown_lines"] == 2 and result.measurements["code_lines"] == 3
    assert result.score == 1.0


def test_python2_file_is_reported_and_the_rest_still_counted(make_tree: MakeTree) -> None:
    root = make_tree({"old.py": 'print "loading"\n', "features.py": WELL_COMMENTED})
    result = run_on(CodeCommentsCheck(), root)
    assert result.measurements["unparsable_files"] == ["old.py"]
    python2 = [f for f in result.findings if f.path == "old.py"]
    assert python2 and "Python 2" in python2[0].message and python2[0].line == 1
    assert result.measurements["code_lines"] == 8


def test_broken_notebook_is_a_finding(make_tree: MakeTree) -> None:
    result = run_on(CodeCommentsCheck(), make_tree({"nb.ipynb": "{not json", "features.py": WELL_COMMENTED}))
    assert any(f.path == "nb.ipynb" and "not a valid notebook" in f.message for f in result.findings)


def test_target_ratio_option_scales_the_score(make_tree: MakeTree) -> None:
    root = make_tree({"features.py": WELL_COMMENTED})
    assert run_on(CodeCommentsCheck(CodeCommentsOptions(target_ratio=1.0)), root).score == pytest.approx(5 / 7)


def test_worst_files_are_listed_with_their_figures(make_tree: MakeTree) -> None:
    bare = "\n".join(f"y{i} = {i}" for i in range(30)) + "\n"
    result = run_on(CodeCommentsCheck(), make_tree({"bare.py": bare, "features.py": WELL_COMMENTED}))
    worst = result.measurements["worst_files"]
    assert isinstance(worst, list) and worst[0] == {
        "path": "bare.py", "code_lines": 30, "documentation_lines": 0, "comment_ratio": 0.0, "commented_out_lines": 0,
    }


def test_no_python_is_skipped(make_tree: MakeTree) -> None:
    assert run_on(CodeCommentsCheck(), make_tree({"README.md": "# x\n"})).status is Status.SKIPPED


# -- code.docstrings ---------------------------------------------------------------------------------------------


def test_string_before_def_is_not_a_docstring_and_is_reported(make_tree: MakeTree) -> None:
    code = '''\
        """Training helpers."""

        "Compute the loss of one batch."
        def loss(pred, target):
            diff = pred - target
            return (diff ** 2).mean()


        def accuracy(pred, target):
            """Share of correct predictions."""
            hits = pred == target
            return hits.mean()
        '''
    result = run_on(CodeDocstringsCheck(), make_tree({"train.py": code}))
    assert result.measurements["functions_documented"] == 1 and result.measurements["functions_total"] == 2
    assert result.measurements["strings_before_def"] == 1
    assert result.measurements["coverage"] == round(2 / 3, 3)
    moved = [f for f in result.findings if "string before def loss" in f.message]
    assert moved and moved[0].path == "train.py" and moved[0].line == 3 and moved[0].severity is Severity.WARNING


def test_string_before_def_in_a_notebook_cell_names_the_cell(make_tree: MakeTree) -> None:
    nb = notebook_json(("code", '"""Plot one spectrogram."""\ndef plot(spec):\n    img = spec.T\n    show(img)\n'))
    result = run_on(CodeDocstringsCheck(), make_tree({"plots.ipynb": nb}))
    assert result.measurements["modules_total"] == 0 and result.measurements["functions_total"] == 1
    moved = [f for f in result.findings if "string before def plot" in f.message]
    assert moved and "(cell 1)" in moved[0].message


def test_exclusions_are_counted_not_scored(make_tree: MakeTree) -> None:
    code = '''\
        """Model."""


        class Net:
            """A tiny network."""

            def __init__(self, size):
                self.size = size
                self.weights = [0] * size

            def _helper(self):
                a = 1
                return a

            def forward(self, x):
                return x

            def train_step(self, batch):
                def inner(v):
                    return v
                return [inner(b) for b in batch]
        '''
    root = make_tree({"model.py": code, "tests/test_model.py": "def test_net():\n    x = 1\n    assert x\n"})
    result = run_on(CodeDocstringsCheck(), root)
    assert result.measurements["excluded"] == {"private": 1, "dunder": 1, "trivial": 1, "test": 1, "nested": 1}
    # Counted: model.py, tests/test_model.py, Net, train_step (the only undocumented one).
    assert result.measurements["total"] == 4 and result.measurements["documented"] == 2
    undocumented = {(f.path, f.line) for f in result.findings if "has no docstring" in f.message}
    assert undocumented == {("model.py", 18), ("tests/test_model.py", 1)}
    with_private = run_on(CodeDocstringsCheck(CodeDocstringsOptions(include_private=True)), root)
    assert with_private.measurements["total"] == 5


def test_class_docstring_before_method_is_not_misplaced(make_tree: MakeTree) -> None:
    code = 'class A:\n    "Doc of A."\n    def run(self):\n        x = 1\n        return x\n'
    result = run_on(CodeDocstringsCheck(), make_tree({"a.py": code}))
    assert result.measurements["strings_before_def"] == 0


def test_full_coverage_scores_full(make_tree: MakeTree) -> None:
    result = run_on(CodeDocstringsCheck(), make_tree({"features.py": WELL_COMMENTED}))
    assert result.status is Status.PASSED and result.score == 1.0 and result.measurements["coverage"] == 1.0


# -- code.pylint -------------------------------------------------------------------------------------------------


def test_pylint_scores_and_points_at_lines(make_tree: MakeTree) -> None:
    bad = '"""Bad."""\nimport os\n\n\ndef f(a):\n    """F."""\n    return undefined_name + a\n'
    nb = notebook_json(("code", "import sys\nx = 1\n"), ("code", "print(y_missing)\n"))
    result = run_on(CodePylintCheck(), make_tree({"features.py": WELL_COMMENTED, "bad.py": bad, "nb.ipynb": nb}))
    score = result.measurements["score"]
    assert isinstance(score, float) and 0 <= score < 10
    messages = result.measurements["messages"]
    assert isinstance(messages, dict) and messages["error"] == 2
    assert result.measurements["files"] == 3
    located = {(f.path, f.line, f.message.split(":")[0]) for f in result.findings}
    assert ("bad.py", 7, "undefined-variable") in located and ("bad.py", 2, "unused-import") in located
    notebook = [f for f in result.findings if f.path == "nb.ipynb" and "undefined-variable" in f.message]
    assert notebook and "(cell 2)" in notebook[0].message and notebook[0].line is None
    assert result.score == pytest.approx(score / 8.0, abs=0.001)


def test_student_pylint_configuration_and_module_names_neverrun_on(make_tree: MakeTree, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = f"open({str(marker)!r}, 'w').write('x')"
    root = make_tree({
        ".pylintrc": f"[MAIN]\ninit-hook={payload}\nload-plugins=evil\n",
        "pylintrc": f"[MAIN]\ninit-hook={payload}\nload-plugins=evil\n",
        "pyproject.toml": f'[tool.pylint.main]\ninit-hook = "{payload}"\nload-plugins = ["evil"]\n',
        "setup.cfg": f"[pylint.main]\ninit-hook={payload}\n",
        "evil.py": payload + "\n",
        "astroid.py": payload + "\n",
        "isort.py": payload + "\n",
        "dill.py": payload + "\n",
        "main.py": '"""Entry."""\nimport evil\nimport isort\n',
    })
    result = run_on(CodePylintCheck(), root)
    assert isinstance(result.measurements["score"], float)
    assert not marker.exists()


def test_pylint_timeout_is_a_failed_result(make_tree: MakeTree) -> None:
    result = run_on(CodePylintCheck(CodePylintOptions(timeout=0.05)), make_tree({"features.py": WELL_COMMENTED}))
    assert result.status is Status.FAILED and result.score == 0.0
    assert result.measurements["timed_out"] is True and result.measurements["score"] is None


def test_pylint_fails_when_nothing_parses_and_skips_by_choice_without_code(make_tree: MakeTree) -> None:
    result = run_on(CodePylintCheck(), make_tree({"old.py": 'print "hi"\n'}))
    assert (result.status, result.score) == (Status.FAILED, 0.0)
    assert result.summary == "none of the 1 Python files and notebooks parses"
    assert result.findings[0].path == "old.py"
    nothing = run_on(CodePylintCheck(), make_tree({"paper.tex": "x"}))
    assert (nothing.status, str(nothing.skip)) == (Status.SKIPPED, "by-choice")


def test_vendored_copy_is_not_the_groups_code(make_tree: MakeTree) -> None:
    dead = "\n".join(f"# x{i} = f({i})" for i in range(200))
    root = make_tree({"features.py": WELL_COMMENTED, "third_party/lib/big.py": dead + "\n",
                      "venv/lib/site.py": "x = 1\n" * 300})
    result = run_on(CodeCommentsCheck(), root)
    assert result.measurements["files"] == 1 and result.measurements["commented_out_lines"] == 0
    assert result.measurements["code_lines"] == 7


def test_pylint_sees_the_real_layout_so_siblings_and_star_imports_resolve(make_tree: MakeTree) -> None:
    lib = '"""Helpers."""\n\n\ndef helper(x):\n    """Double."""\n    return 2 * x\n\n\nRATE = 16000\n'
    main = '"""Entry."""\nfrom lib import *\nfrom utils.audio import load\n\nprint(helper(RATE), load("a.wav"))\n'
    audio = '"""Audio."""\n\n\ndef load(path):\n    """Load."""\n    return path\n'
    root = make_tree({"src/lib.py": lib, "src/main.py": main, "src/utils/__init__.py": "", "src/utils/audio.py": audio,
                      "json/__init__.py": '"""Shadows the standard library."""\n'})
    result = run_on(CodePylintCheck(), root)
    symbols = result.measurements["top_symbols"]
    assert isinstance(symbols, dict) and "undefined-variable" not in symbols, result.findings
    assert result.measurements["files"] == 4  # the empty __init__.py is not linted
    linted = {"src/lib.py", "src/main.py", "src/utils/audio.py", "json/__init__.py", "src/utils/__init__.py"}
    assert all(f.path in linted for f in result.findings if f.path)


def test_code_checks_report_what_they_left_out_as_vendored(make_tree: MakeTree) -> None:
    header = '"""\nCopyright (c) 2017, Gavin Weiguang Ding\n\nRedistribution and use in source and binary forms\n"""\n'
    root = make_tree({"features.py": WELL_COMMENTED, "draw_convnet.py": header + "x = 1\n" * 50,
                      "lib/LICENSE": "Copyright 2019 Someone Else\n", "lib/layers.py": "y = 2\n" * 40})
    for check in (CodeCommentsCheck, CodeDocstringsCheck, CodePylintCheck):
        result = run_on(check(), root)
        vendored = result.measurements["vendored"]
        assert isinstance(vendored, list) and {v["path"] for v in vendored} == {"draw_convnet.py", "lib"}  # type: ignore[index]
        assert sum("left out as vendored code" in f.message for f in result.findings) == 2
    assert run_on(CodeCommentsCheck(), root).measurements["files"] == 1


def test_after_the_sandbox_a_copy_of_an_installed_file_is_left_out_with_the_reason(make_tree: MakeTree) -> None:
    copied = '"""Copied module."""\n' + "".join(f"def helper_{i}(x):\n    y = x + {i}\n    return y\n\n\n"
                                                 for i in range(30))
    root = make_tree({"features.py": WELL_COMMENTED, "lib/helpers.py": copied})
    build = BuildResult(installed_copies=(InstalledCopy("lib/helpers.py", "helperlib", "helperlib/core.py"),))
    run = RunOutcome("img", "requirements", (StepOutcome("build", StepStatus.PASSED, detail=build),))
    reason = "identical to helperlib/core.py of the installed distribution helperlib"
    # The engine's order: every check statically, then again with the run, on the one tree.
    tree = SubmissionTree(root)
    checks = (CodeCommentsCheck, CodeDocstringsCheck, CodePylintCheck)
    static = {c.id: run_on(c(), root, tree=tree) for c in checks}
    refined = {c.id: run_on(c(), root, tree=tree, run=run) for c in checks}
    for check_id in static:
        assert static[check_id].measurements["vendored"] == [], check_id
        assert refined[check_id].measurements["vendored"] == [
            {"path": "lib/helpers.py", "reason": reason, "excluded": True}], check_id
        assert any(f.message == f"left out as vendored code: {reason}" and f.path == "lib/helpers.py"
                   for f in refined[check_id].findings), check_id
    assert (static["code.comments"].measurements["files"], refined["code.comments"].measurements["files"]) == (2, 1)
    assert static["code.docstrings"].measurements["total"] == 3 + 31
    assert refined["code.docstrings"].measurements["total"] == 3
    assert (static["code.pylint"].measurements["files"], refined["code.pylint"].measurements["files"]) == (2, 1)
    # A run whose build found nothing (or failed) leaves the static verdict.
    failed = RunOutcome("", "requirements", (StepOutcome("build", StepStatus.FAILED, detail=BuildResult()),))
    assert run_on(CodeCommentsCheck(), root, tree=tree, run=failed) == static["code.comments"]
