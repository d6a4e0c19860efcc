"""`grader grade --cluster` as a lecturer runs it, and the promise that without it Dask is never imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from distributed import LocalCluster

from tests.cli.test_check import grader
from tests.cluster.common import sample_batch, tree


def test_grade_on_a_cluster_names_workers_and_dashboard_and_writes_the_files(
    tmp_path: Path, cluster: LocalCluster
) -> None:
    sample_batch(tmp_path)
    args = (tmp_path / "roster.yaml", "--rubric", tmp_path / "rubric.yaml", "--static")
    done = grader("grade", *args, "-o", tmp_path / "remote", env={"GRADER_CLUSTER": cluster.scheduler_address})
    assert done.returncode == 1, done.stderr  # the group without environment file fails the gate
    assert f"grader: cluster {cluster.scheduler_address}: 2 of 2 workers can grade; dashboard: http" in done.stderr
    assert "good-0: 10/15 points (not final), gate passed (graded on " in done.stderr
    assert "grader: wrote" in done.stderr and "Traceback" not in done.stderr
    local = grader("grade", *args, "-o", tmp_path / "local")
    assert local.returncode == 1
    assert tree(tmp_path / "remote") == tree(tmp_path / "local")


@pytest.mark.parametrize(("options", "message"), [
    (("--resources", "docker=1"), "--resources is for --cluster"),
    (("--cluster", "tcp://127.0.0.1:9", "--jobs", "2"), "--jobs counts threads on this machine"),
    (("--cluster", "tcp://127.0.0.1:9", "--workdir", "w"), "--workdir is a folder on this machine"),
    (("--cluster", "tcp://127.0.0.1:9", "--resources", "docker"), "'docker' is not NAME=NUMBER"),
])
def test_options_of_the_other_mode_are_usage_errors(tmp_path: Path, options: tuple[str, ...], message: str) -> None:
    sample_batch(tmp_path)
    done = grader("grade", tmp_path / "roster.yaml", "--static", *options)
    assert done.returncode == 2 and message in done.stderr


def test_a_local_batch_never_imports_dask(tmp_path: Path) -> None:
    sample_batch(tmp_path)
    script = (
        "import sys\n"
        "from grader.cli import main\n"
        "try:\n"
        f"    main(['grade', {str(tmp_path / 'roster.yaml')!r}, '--static', '-q', '-o', {str(tmp_path / 'out')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'dask', 'distributed'} or m == 'grader.cluster'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "out" / "summary.csv").is_file()  # the batch did run


def test_without_dask_installed_the_message_says_how_to_get_it(tmp_path: Path) -> None:
    sample_batch(tmp_path)
    script = (
        "import sys\n"
        "sys.modules['distributed'] = None  # as if dask were not installed\n"
        "from grader.cli import main\n"
        f"main(['grade', {str(tmp_path / 'roster.yaml')!r}, '--static', '--cluster', 'tcp://127.0.0.1:9'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 2
    assert 'grader: error: --cluster needs Dask, which is not installed: pip install "grader[cluster]"' in done.stderr


def test_an_empty_grader_cluster_grades_on_this_machine(tmp_path: Path) -> None:
    sample_batch(tmp_path)
    done = grader("grade", tmp_path / "roster.yaml", "--static", "--jobs", "2", "-o", tmp_path / "out",
                  env={"GRADER_CLUSTER": ""})
    assert done.returncode == 1 and "grader: cluster" not in done.stderr
    assert "(graded, " in done.stderr and (tmp_path / "out" / "summary.csv").is_file()
