"""A batch on a Dask LocalCluster of two worker processes (--static, so no Docker is needed): the same files as the
local batch, its resume rules, a worker killed mid-grade, workers that cannot grade, credentials kept out of sight."""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import dask
import pytest
from distributed import Client, LocalCluster, SchedulerPlugin

from grader import __version__
from grader.acquire import AcquirePolicy
from grader.batch import BatchOptions, GroupOutcome, OutcomeKind, grade_roster, rubric_digest, rubric_source
from grader.cluster import ClusterOptions, grade_on_cluster
from grader.cluster.worker import BatchPlugin, verdict_of
from grader.errors import GraderError
from grader.roster import load_roster
from grader.rubric import load_rubric
from tests.acquire.builder import RepoBuilder
from tests.cluster.common import sample_batch, tree
from tests.gitserver import serve_git
from tests.test_batch import RUBRIC


class Recorder:
    """Progress that remembers every stage and finished group (and may act on a stage)."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, str]] = []
        self.done: list[GroupOutcome] = []
        self.lock = threading.Lock()

    def stage(self, group_id: str, stage: str) -> None:
        with self.lock:
            self.stages.append((group_id, stage))

    def finished(self, outcome: GroupOutcome) -> None:
        with self.lock:
            self.done.append(outcome)


def on(cluster: LocalCluster, **options: Any) -> ClusterOptions:
    return ClusterOptions(cluster.scheduler_address, **options)


def test_a_cluster_batch_writes_the_files_of_the_local_batch(tmp_path: Path, cluster: LocalCluster) -> None:
    roster, rubric = sample_batch(tmp_path)
    local = grade_roster(roster, rubric, BatchOptions(out_dir=tmp_path / "local"))
    notices: list[str] = []
    progress = Recorder()
    remote = grade_on_cluster(roster, rubric, BatchOptions(out_dir=tmp_path / "remote"),
                              on(cluster, notify=notices.append), static=True, progress=progress)

    assert tree(tmp_path / "remote") == tree(tmp_path / "local")
    assert [(o.group.id, o.kind, o.report.total) for o in remote.outcomes] == [
        (o.group.id, o.kind, o.report.total) for o in local.outcomes]
    assert [p.name for p in remote.summaries] == [p.name for p in local.summaries]
    assert all(o.worker in {"0", "1"} for o in remote.outcomes)
    assert notices[0].startswith(f"cluster {cluster.scheduler_address}: 2 of 2 workers can grade; dashboard: http")
    assert ("good-0", "cloning (on 0)") in progress.stages or ("good-0", "cloning (on 1)") in progress.stages
    assert not (tmp_path / "sentinel").exists() and not Path("sentinel").exists()


def test_reruns_keep_reports_whether_they_run_on_the_cluster_or_here(tmp_path: Path, cluster: LocalCluster) -> None:
    roster, rubric = sample_batch(tmp_path)
    out = tmp_path / "out"
    grade_on_cluster(roster, rubric, BatchOptions(out_dir=out), on(cluster), static=True)
    again = grade_on_cluster(roster, rubric, BatchOptions(out_dir=out, formats=("json",)), on(cluster), static=True)
    assert [o.kind for o in again.outcomes] == [OutcomeKind.KEPT] * 3 + [OutcomeKind.NOT_ACQUIRED]
    assert [o.files for o in again.outcomes[:3]] == [(), (), ()]  # nothing rewritten
    here = grade_roster(roster, rubric, BatchOptions(out_dir=out))
    assert [o.kind for o in here.outcomes[:3]] == [OutcomeKind.KEPT] * 3  # the worker saved the same state

    RepoBuilder(tmp_path / "repos" / "bare").commit({"requirements.txt": "numpy==1.26.4\n"},
                                                    when="2026-03-31T20:00:00+02:00")
    forced = grade_on_cluster(roster, rubric, BatchOptions(out_dir=out, force=True), on(cluster), static=True)
    assert [o.kind for o in forced.outcomes[:3]] == [OutcomeKind.GRADED] * 3
    assert forced.outcomes[2].report.gate_passed  # the new commit was fetched by a worker


def test_a_worker_killed_mid_grade_has_its_group_regraded_and_reported_once(
    tmp_path: Path, cluster: LocalCluster, client: Client
) -> None:
    roster, rubric = sample_batch(tmp_path, groups=3)
    pids = client.run(os.getpid)
    names = {str(info["name"]): address for address, info in client.scheduler_info()["workers"].items()}
    victim: list[str] = []

    class KillAtFirstCheck(Recorder):
        def stage(self, group_id: str, stage: str) -> None:
            super().stage(group_id, stage)
            if not victim and stage.startswith("checking (on "):
                victim.append(group_id)
                os.kill(pids[names[stage.removeprefix("checking (on ").rstrip(")")]], signal.SIGKILL)

    progress = KillAtFirstCheck()
    result = grade_on_cluster(roster, rubric, BatchOptions(out_dir=tmp_path / "out"), on(cluster), static=True,
                              progress=progress)

    assert victim, "no group reached its checks"
    assert sorted(o.group.id for o in progress.done) == sorted(g.id for g in roster.groups)  # each group reported once
    started = Counter(group for group, stage in progress.stages if stage.startswith("cloning"))
    assert started[victim[0]] >= 2  # the killed worker's group was graded again elsewhere
    assert [o.kind for o in result.outcomes] == [OutcomeKind.GRADED] * 4 + [OutcomeKind.NOT_ACQUIRED]
    local = grade_roster(roster, rubric, BatchOptions(out_dir=tmp_path / "local"))
    assert [o.report.total for o in result.outcomes] == [o.report.total for o in local.outcomes]
    assert tree(tmp_path / "out") == tree(tmp_path / "local")


def test_a_worker_that_cannot_grade_says_why_and_gets_no_tasks(tmp_path: Path, client: Client) -> None:
    _, rubric = sample_batch(tmp_path)
    sent = {"rubric_json": rubric.rubric.model_dump_json(), "rubric_source": rubric_source(rubric),
            "rubric_path": str(rubric.path), "static": True, "secret": None}
    cases = {
        "other-version": BatchPlugin("t1", digest=rubric_digest(rubric), version="0.0.1", **sent),
        "other-rubric": BatchPlugin("t2", digest="0" * 64, **sent),
        "ready": BatchPlugin("t3", digest=rubric_digest(rubric), **sent),
    }
    try:
        verdicts = {}
        for case, plugin in cases.items():
            client.register_plugin(plugin)
            verdicts[case] = list(client.run(verdict_of, plugin.name).values())
        resources = [w["resources"] for w in client.scheduler_info()["workers"].values()]
    finally:
        for plugin in cases.values():
            client.unregister_worker_plugin(plugin.name)
    assert {v["reason"] for v in verdicts["other-version"]} == {
        f"grader {__version__} is installed here, 0.0.1 on the lecturer's machine"}
    assert all(v["reason"].startswith("the rubric loads to another hash here") for v in verdicts["other-rubric"])
    assert all(v["ready"] and v["reason"] is None for v in verdicts["ready"])
    for held in resources:  # only the ready batch's resource, which every one of its tasks asks for
        assert held.get("grader-t3") == 1 and "grader-t1" not in held and "grader-t2" not in held


def test_a_cluster_whose_workers_cannot_grade_stops_before_anything_is_sent(tmp_path: Path) -> None:
    roster, rubric = sample_batch(tmp_path)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                     env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}) as dead,
        pytest.raises(GraderError) as caught,
    ):
        grade_on_cluster(roster, rubric, BatchOptions(out_dir=tmp_path / "out"), on(dead), static=False)
    message = str(caught.value)
    assert message.startswith(f"no worker of the cluster at {dead.scheduler_address} can grade")
    assert f"its Docker Engine does not answer (unix://{tmp_path}/no-engine.sock" in message
    assert not (tmp_path / "out" / "good-0").exists()


def test_resources_no_worker_has_are_refused_naming_what_workers_have(tmp_path: Path, cluster: LocalCluster) -> None:
    roster, rubric = sample_batch(tmp_path)
    with pytest.raises(GraderError, match=r"--resources gpu=1: no worker that can grade declares that much "
                                          r"\([01]: docker=1; [01]: docker=1\)"):
        grade_on_cluster(roster, rubric, BatchOptions(out_dir=tmp_path / "out"), on(cluster, resources={"gpu": 1}),
                         static=True)
    held = grade_on_cluster(roster, rubric, BatchOptions(out_dir=tmp_path / "out"),
                            on(cluster, resources={"docker": 1}), static=True)
    assert held.outcomes[0].kind is OutcomeKind.GRADED


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path: Path) -> None:
    roster, rubric = sample_batch(tmp_path)
    with pytest.raises(GraderError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9 "):
        grade_on_cluster(roster, rubric, BatchOptions(out_dir=tmp_path / "out"),
                         ClusterOptions("tcp://127.0.0.1:9", connect_timeout_s=2), static=True)


def test_credentials_reach_the_workers_in_memory_only_and_show_nowhere(
    tmp_path: Path, cluster: LocalCluster, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, password = "tok-" + os.urandom(8).hex(), "pw-" + os.urandom(8).hex()
    source = RepoBuilder(tmp_path / "src")
    source.commit({"README.md": "# private\n"}, when="2026-03-30T12:00:00+02:00")
    served = tmp_path / "served"
    served.mkdir()
    source.bare(served / "group.git")
    (tmp_path / "rubric.yaml").write_text(RUBRIC, encoding="utf-8")
    seen = _TaskSpecs(cluster.scheduler)
    cluster.scheduler.add_plugin(seen, name="spec-recorder")
    monkeypatch.setenv("GRADER_GIT_TOKEN", token)  # on this machine only: the workers started without it
    assert set(client.run(lambda: os.environ.get("GRADER_GIT_TOKEN")).values()) == {None}
    policy = AcquirePolicy(allowed_schemes=frozenset({"http", "local"}))
    try:
        with serve_git(served, username="x-access-token", password=token) as server:
            (tmp_path / "roster.yaml").write_text(
                f"groups:\n  - id: private\n    repo: {server.url('group.git')}\n"
                f"  - id: refused\n    repo: http://x:{password}@127.0.0.1:{server.port}/group.git\n",
                encoding="utf-8")
            result = grade_on_cluster(load_roster(tmp_path / "roster.yaml"), load_rubric(tmp_path / "rubric.yaml"),
                                      BatchOptions(out_dir=tmp_path / "out", policy=policy), on(cluster), static=True)
    finally:
        cluster.scheduler.remove_plugin(name="spec-recorder")
    private, refused = result.outcomes
    assert private.kind is OutcomeKind.GRADED and private.report.submission.commit
    assert refused.kind is OutcomeKind.NOT_ACQUIRED  # the URL's own (wrong) password goes before the token
    assert f"x-access-token:{token}" in server.seen_auth  # the worker sent the token, through git's askpass

    assert seen.specs and all(token.encode() not in spec for spec in seen.specs)
    assert seen.reprs and all(token not in text and password not in text for text in seen.reprs)
    shown = [str(client.get_worker_logs()), str(client.get_scheduler_logs()), str(client.get_events())]
    shown += [p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert all(token not in text and password not in text for text in shown)
    left = client.run(lambda dask_worker: [n for n in dask_worker.plugins if n.startswith("grader-")])
    assert set(map(tuple, left.values())) == {()}  # the plugin, and the token it held, are gone from the workers
    assert not [n for n in cluster.scheduler.worker_plugins if n.startswith("grader-")]


class _TaskSpecs(SchedulerPlugin):
    """A scheduler plugin (the LocalCluster's scheduler runs in this process) keeping what each task carries."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self.specs: list[bytes] = []
        self.reprs: list[str] = []

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        task = self.scheduler.tasks.get(key)
        if finish == "processing" and task is not None and task.run_spec is not None:
            self.specs.append(pickle.dumps(task.run_spec))
            self.reprs.append(repr(task.run_spec))


def test_a_group_that_keeps_killing_workers_is_recorded_as_crashed(tmp_path: Path) -> None:
    roster, rubric = sample_batch(tmp_path, groups=1)
    # Dask gives up on a task after this many workers died running it; 0 makes the first death final.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as fragile,
        Client(fragile, set_as_default=False) as client,
    ):
        pid = next(iter(client.run(os.getpid).values()))

        class KillAtCheck(Recorder):
            def stage(self, group_id: str, stage: str) -> None:
                super().stage(group_id, stage)
                if group_id == "good-0" and stage.startswith("checking"):
                    os.kill(pid, signal.SIGKILL)

        result = grade_on_cluster(roster, rubric, BatchOptions(out_dir=tmp_path / "out"), on(fragile), static=True,
                                  progress=KillAtCheck())
    crashed, bare = result.outcomes[0], result.outcomes[1]
    assert crashed.kind is OutcomeKind.CRASHED and crashed.report.total == 0
    assert crashed.report.notes[0].message.startswith("not graded: internal error in grader (KilledWorker: ")
    assert "KilledWorker" in (tmp_path / "out" / "good-0" / "traceback.txt").read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "good-0" / ".grader-state.json").exists()  # a re-run grades it again
    assert bare.kind is OutcomeKind.GRADED  # the batch went on, on the restarted worker
