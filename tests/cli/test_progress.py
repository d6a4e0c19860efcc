"""Progress while grading: pip's install activity read from its output lines, the check's and the batch's display,
and the line hook at the sandbox boundary that carries pip's output while the container runs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from grader.cli.grade import _PlainProgress, eta_text
from grader.cli.progress import CheckProgress, PipActivity, size_text
from grader.models import PIP_OUTPUT
from grader.sandbox.container import run_container
from grader.sandbox.engine import ContainerSpec
from tests.sandbox.fake_engine import FakeEngine, Ran

#: What pip 23 prints while installing with --progress-bar off (no terminal in the sandbox).
PIP_LOG = """\
Collecting numpy==1.26.4
  Downloading numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl (18.3 MB)
Collecting torch==2.3.0
  Downloading torch-2.3.0-cp311-cp311-manylinux1_x86_64.whl (779.1 MB)
Collecting tiny
  Downloading https://files.example.org/packages/tiny-0.1.tar.gz (512 bytes)
  Building wheel for tiny (pyproject.toml): started
Installing collected packages: tiny, numpy, torch, filelock, jinja2, sympy
Successfully installed filelock-3.13 jinja2-3.1 numpy-1.26.4 sympy-1.12 tiny-0.1 torch-2.3.0
"""


def test_pip_activity_names_each_download_with_its_size_and_the_total_so_far() -> None:
    pip = PipActivity()
    seen = [pip.feed(line) for line in PIP_LOG.splitlines()]
    assert seen[0] == ("resolving numpy==1.26.4", False)
    assert seen[1] == ("downloading numpy 1.26.4 (18.3 MB; 18.3 MB in 1 file(s) so far)", True)
    assert seen[3] == ("downloading torch 2.3.0 (779.1 MB; 797.4 MB in 2 file(s) so far)", True)
    assert seen[5] == ("downloading tiny 0.1 (512 bytes; 797.4 MB in 3 file(s) so far)", True)
    assert seen[6] == ("building a wheel for tiny", True)
    assert seen[7] == ("installing 6 package(s) (tiny, numpy, torch, filelock, …)", True)
    assert seen[8] is None
    assert size_text(1536) == "1.5 kB" and size_text(2 * 1000**3) == "2.0 GB"


def test_check_progress_prints_stages_and_pip_milestones_on_a_log(capsys: pytest.CaptureFixture[str]) -> None:
    display = CheckProgress(quiet=False, stream=io.StringIO())
    display("building")
    for line in PIP_LOG.splitlines():
        display(PIP_OUTPUT + line)
    display("running: tests")
    display.close()
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "grader: building…" and err[-1] == "grader: running: tests…"
    pip_lines = [line for line in err if "pip:" in line]
    assert len(pip_lines) == 5  # three downloads, the wheel build, the install; no "resolving" lines on a log
    assert "downloading torch 2.3.0 (779.1 MB; 797.4 MB in 2 file(s) so far)" in pip_lines[1]


def test_check_progress_keeps_pip_on_one_live_line_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    display = CheckProgress(quiet=False, stream=screen)
    for line in PIP_LOG.splitlines():
        display(PIP_OUTPUT + line)
    display.close()
    assert screen.getvalue().count("\r\x1b[2K") >= 8 and "\n" not in screen.getvalue()
    assert "resolving torch==2.3.0" in screen.getvalue()


def test_batch_log_shows_pip_milestones_per_group_and_an_eta(capsys: pytest.CaptureFixture[str]) -> None:
    progress = _PlainProgress(total=3, quiet=False)
    for line in PIP_LOG.splitlines():
        progress.stage("group-2", PIP_OUTPUT + line)
    err = capsys.readouterr().err
    assert "grader: [0/3] group-2: pip: downloading torch 2.3.0 (779.1 MB;" in err
    assert "resolving" not in err
    assert eta_text(0, 3, 10.0) == "" and eta_text(3, 3, 10.0) == ""
    assert eta_text(1, 4, 100.0) == "ETA 5:00"


def test_the_sandbox_line_hook_gets_each_stdout_line_while_the_container_runs(tmp_path: Path) -> None:
    chunks = [b"Collecting numpy\n  Downloading numpy-1.26.4-cp311-none.whl (18", b".3 MB)\nInstalling collected",
              b" packages: numpy\nSuccessfully installed numpy-1.26.4\n"]
    engine = FakeEngine(lambda call: Ran(stdout=iter(chunks)), images=["base:1"])
    lines: list[str] = []
    result = run_container(engine, ContainerSpec(image="base:1", command=("sh",), run_id="t"), hook=lines.append)
    assert result.exit_code == 0
    assert lines == ["Collecting numpy", "  Downloading numpy-1.26.4-cp311-none.whl (18.3 MB)",
                     "Installing collected packages: numpy", "Successfully installed numpy-1.26.4"]
    assert "Successfully installed" in result.stdout  # the captured output is unchanged

    def broken(line: str) -> None:
        raise RuntimeError("display gone")

    again = run_container(engine, ContainerSpec(image="base:1", command=("sh",), run_id="u"), hook=broken)
    assert again.exit_code == 0 and again.error is None, "a failing display must not break the container's run"
