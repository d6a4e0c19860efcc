"""A cluster batch that runs code: two worker processes, each with a Docker Engine of its own (the machine's and a
second one started here), and a third worker whose engine is down. Same verdicts as the local batch, groups sent
back to the engine holding their environment, Ctrl-C leaving no container, a killed worker's running container swept
from its engine when the batch ends, and no container left on either engine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask
import docker
import pytest
from distributed import Client, LocalCluster

from grader.batch import BatchOptions, BatchResult, GroupOutcome, OutcomeKind, grade_roster
from grader.cluster import ClusterOptions, grade_on_cluster
from grader.roster import Roster, load_roster
from grader.rubric import LoadedRubric, load_rubric
from grader.sandbox.container import MANAGED_LABEL, OWNER_PID_LABEL
from grader.sandbox.docker_engine import DockerEngine
from grader.sandbox.image import base_image_tag, ensure_base_image
from grader.sandbox.install import ENV_REPOSITORY
from tests.acquire.builder import RepoBuilder
from tests.cluster.engines import SocketRelay, second_engine
from tests.cluster.test_cluster import Recorder
from tests.sandbox.test_install import _wheel

pytestmark = [pytest.mark.docker, pytest.mark.slow]

WORKERS = ("engine-a", "engine-b")


@dataclass(frozen=True)
class Lab:
    """The test cluster: its scheduler address, each worker's engine client and DOCKER_HOST, and the workers'
    process ids."""

    cluster: LocalCluster
    engines: dict[str, Any]
    pids: tuple[int, ...]
    hosts: dict[str, str]

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return str(self.cluster.scheduler_address)

    def leftovers(self) -> list[str]:
        """Sandbox containers our workers started that still exist, on either engine."""
        found = []
        for name, engine in self.engines.items():
            for pid in self.pids:
                labels = [f"{MANAGED_LABEL}=1", f"{OWNER_PID_LABEL}={pid}"]
                found += [f"{name}: {c.name}" for c in engine.containers.list(all=True, filters={"label": labels})]
        return found

    def environments(self, name: str) -> set[str]:
        """The environment cache keys worker `name`'s engine holds."""
        images = self.engines[name].images.list(name=ENV_REPOSITORY)
        return {tag.partition(":")[2] for image in images for tag in image.tags}


@pytest.fixture(scope="module")
def lab(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """Workers engine-a (this machine's engine), engine-b (a second engine) and no-engine (a socket nobody
    serves); work stealing off, so that where a task runs is where the scheduler placed it."""
    ensure_base_image(DockerEngine(docker_client))
    first_host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    dead = tmp_path_factory.mktemp("dead") / "docker.sock"
    with second_engine(docker_client, base_image_tag()) as other_host:
        hosts = {"engine-a": first_host, "engine-b": other_host, "no-engine": f"unix://{dead}"}
        with (
            dask.config.set({"distributed.scheduler.work-stealing": False}),
            LocalCluster(n_workers=0, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        ):
            ((_, spec),) = cluster.new_worker_spec().items()
            for name, host in hosts.items():
                options = {**spec["options"], "env": {"DOCKER_HOST": host}, "resources": {"docker": 1}}
                cluster.worker_spec[name] = {"cls": spec["cls"], "options": options}
            cluster.scale(len(hosts))
            with Client(cluster, set_as_default=False) as client:
                client.wait_for_workers(len(hosts), timeout=120)
                pids = tuple(client.run(os.getpid).values())
            engines = {"engine-a": docker_client, "engine-b": docker.DockerClient(base_url=other_host, timeout=120)}
            try:
                yield Lab(cluster, engines, pids, hosts)
            finally:
                engines["engine-b"].close()


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, docker_client: Any) -> Iterator[Course]:
    """Three groups: two sharing an environment made of a wheel only this module has (a cache key of its own,
    installed offline), one without an environment. The environment images made of that wheel are removed
    from this machine's engine afterwards (the second engine goes as a whole)."""
    root = tmp_path_factory.mktemp("course")
    wheel = f"graderwheel_{os.urandom(4).hex()}"
    (root / "wheels").mkdir()
    _wheel(root / "wheels", wheel, "1.0")
    code = {"requirements.txt": f"{wheel}==1.0\n", "main.py": f"import {wheel}\nprint({wheel}.VALUE)\n"}
    for n in (1, 2):
        RepoBuilder(root / f"wheel-{n}").commit({**code, "README.md": f"# {n}\n"}, when="2026-03-30T12:00:00+02:00")
    RepoBuilder(root / "plain").commit({"main.py": "print('plain')\n"}, when="2026-03-30T12:00:00+02:00")
    groups = "".join(f"  - id: {g}\n    repo: {g}\n    smoke: ['python main.py']\n"
                     for g in ("wheel-1", "wheel-2", "plain"))
    (root / "roster.yaml").write_text("groups:\n" + groups, encoding="utf-8")
    (root / "rubric.yaml").write_text(
        f"id: run\ntitle: Run\nsandbox: {{timeout: 60, install_network: none, wheelhouse: {root / 'wheels'}}}\n"
        "criteria:\n"
        "  - {id: environment, title: Environment, points: 5, checks: [{id: env.file}]}\n"
        "  - {id: running, title: Running, points: 10,\n"
        "     checks: [{id: run.build}, {id: run.imports}, {id: run.smoke}]}\n",
        encoding="utf-8")
    course = Course(load_roster(root / "roster.yaml"), load_rubric(root / "rubric.yaml"), set())
    yield course
    for key in course.keys:  # made of our wheel only: no one else's
        if docker_client.images.list(name=f"{ENV_REPOSITORY}:{key}"):
            docker_client.images.remove(f"{ENV_REPOSITORY}:{key}", force=True)


@dataclass(frozen=True)
class Course:
    """The module's roster and rubric, and the environment cache keys its gradings made (removed at the end)."""

    roster: Roster
    rubric: LoadedRubric
    keys: set[str]

    def built(self, result: BatchResult) -> dict[str, Any]:
        """The outcomes by group id, noting the environments they used."""
        outcomes = {o.group.id: o for o in result.outcomes}
        self.keys.update(key for key, _ in map(build_facts, outcomes.values()) if key)
        return outcomes


def verdicts(folder: Path) -> dict[str, Any]:
    """What a group's report decides, without what depends on the cache (build time, log, hit or miss)."""
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    checks = {c["id"]: (c["status"], c["score"], c["summary"], c["findings"]) for c in report["checks"]}
    steps = {s["name"]: (s["status"], s["stdout_tail"] if s["name"] != "build" else None)
             for s in (report["run"] or {}).get("steps", [])}
    return {"total": report["total"], "gate": report["gate_passed"], "checks": checks, "steps": steps}


def build_facts(outcome: Any) -> tuple[str | None, bool | None]:
    """The cache key and cache hit a group's run.build check recorded."""
    check = outcome.report.check("run.build")
    return check.measurements.get("cache_key"), check.measurements.get("cache_hit")


def test_each_worker_grades_on_its_own_engine_with_the_local_verdicts(tmp_path: Path, lab: Lab, course: Course) -> None:
    from grader.sandbox.runner import run_sandbox

    roster, rubric = course.roster, course.rubric
    local = course.built(grade_roster(roster, rubric, BatchOptions(out_dir=tmp_path / "local", jobs=3),
                                      sandbox=run_sandbox))
    notices: list[str] = []
    remote = course.built(grade_on_cluster(roster, rubric, BatchOptions(out_dir=tmp_path / "remote"),
                                           ClusterOptions(lab.address, {"docker": 1}, notify=notices.append),
                                           static=False))

    for group in roster.groups:
        assert verdicts(tmp_path / "remote" / group.id) == verdicts(tmp_path / "local" / group.id), group.id
        assert remote[group.id].report.total == local[group.id].report.total
    assert remote["wheel-1"].report.check("run.smoke").status == "passed"
    assert {o.kind for o in remote.values()} == {OutcomeKind.GRADED}
    assert {o.worker for o in remote.values()} <= set(WORKERS)  # never the worker without an engine
    refused = [n for n in notices if n.startswith("worker no-engine cannot grade: its Docker Engine does not answer")]
    assert notices[0].startswith(f"cluster {lab.address}: 2 of 3 workers can grade") and len(refused) == 1
    assert lab.leftovers() == []


def test_groups_go_back_to_the_engine_that_built_their_environment(tmp_path: Path, lab: Lab, course: Course) -> None:
    roster, rubric = course.roster, course.rubric
    out = tmp_path / "out"
    options = ClusterOptions(lab.address)
    def run(**batch: Any) -> dict[str, Any]:
        return course.built(grade_on_cluster(roster, rubric, BatchOptions(out_dir=out, **batch), options, static=False))

    first = run()
    key, _ = build_facts(first["wheel-1"])
    assert key and build_facts(first["wheel-2"])[0] == key
    for engine in lab.engines.values():  # nobody holds it now; both groups' reports name it
        for image in engine.images.list(name=f"{ENV_REPOSITORY}:{key}"):
            engine.images.remove(image.id, force=True)

    second = run(force=True)
    builder = second["wheel-1"].worker
    assert second["wheel-2"].worker == builder  # both sent to one worker, so it is built once...
    assert sorted(build_facts(second[g])[1] for g in ("wheel-1", "wheel-2")) == [False, True]  # ...and reused
    other = next(w for w in WORKERS if w != builder)
    assert key in lab.environments(builder) and key not in lab.environments(other)

    third = run(force=True)
    assert {third[g].worker for g in ("wheel-1", "wheel-2")} == {builder}  # back to the engine holding it
    assert [build_facts(third[g])[1] for g in ("wheel-1", "wheel-2")] == [True, True]
    assert lab.leftovers() == []


def sleepy_batch(folder: Path) -> tuple[Path, Path]:
    """Two groups whose smoke command sleeps for five minutes; returns the roster's and the rubric's paths."""
    RepoBuilder(folder / "sleepy").commit({"main.py": "print('hi')\n"}, when="2026-03-30T12:00:00+02:00")
    (folder / "rubric.yaml").write_text(
        "id: run\ntitle: Run\nsandbox: {timeout: 300}\n"
        "criteria:\n  - {id: running, title: Running, points: 5, checks: [{id: run.smoke}]}\n", encoding="utf-8")
    sleep = "    smoke: [\"python -c 'import time; time.sleep(300)'\"]\n"
    (folder / "roster.yaml").write_text(
        f"groups:\n  - id: sleepy-1\n    repo: sleepy\n{sleep}  - id: sleepy-2\n    repo: sleepy\n{sleep}",
        encoding="utf-8")
    return folder / "roster.yaml", folder / "rubric.yaml"


def test_ctrl_c_stops_the_groups_on_the_workers_and_leaves_no_container(tmp_path: Path, lab: Lab) -> None:
    roster, rubric = sleepy_batch(tmp_path)
    watcher = threading.Thread(target=_interrupt_when_both_run, args=(lab, 120), daemon=True)
    watcher.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        grade_on_cluster(load_roster(roster), load_rubric(rubric), BatchOptions(out_dir=tmp_path / "out"),
                         ClusterOptions(lab.address), static=False)
    assert time.monotonic() - started < 150  # the smoke commands would sleep 300 s
    assert lab.leftovers() == []  # removed by the workers before grade_on_cluster returned
    assert not list((tmp_path / "out").rglob("report.json"))


def test_the_lecturers_machine_going_away_stops_the_workers_too(tmp_path: Path, lab: Lab) -> None:
    roster, rubric = sleepy_batch(tmp_path)
    lecturer = subprocess.Popen(
        [sys.executable, "-m", "grader", "grade", str(roster), "--rubric", str(rubric), "-o", str(tmp_path / "out"),
         "--cluster", lab.address, "-q"], cwd=Path(__file__).resolve().parents[2])
    try:
        assert _wait(lambda: _running_on(lab) == set(lab.engines), 120), "no group reached its smoke command"
    finally:
        lecturer.kill()  # no Ctrl-C, no goodbye: the machine is gone
        lecturer.wait()
    assert _wait(lambda: not lab.leftovers(), 60), lab.leftovers()  # the workers saw their tasks released
    plugins = lab.cluster.scheduler.worker_plugins
    assert _wait(lambda: not [n for n in plugins if n.startswith("grader-")], 30)  # and the credentials went


def _wait(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _running_on(lab: Lab) -> set[str]:
    """The engines on which a sandbox container of ours runs (sparse: a container removed between listing and
    inspecting it would otherwise raise NotFound)."""
    return {name for name, engine in lab.engines.items() for pid in lab.pids
            if engine.containers.list(filters={"label": [f"{MANAGED_LABEL}=1", f"{OWNER_PID_LABEL}={pid}"],
                                               "status": "running"}, sparse=True)}


def _interrupt_when_both_run(lab: Lab, timeout_s: float) -> None:
    """Press Ctrl-C on this process once a sandbox container of ours runs on each engine."""
    if _wait(lambda: _running_on(lab) == set(lab.engines), timeout_s):
        os.kill(os.getpid(), signal.SIGINT)


def test_a_worker_whose_engine_goes_away_hands_its_group_on(tmp_path: Path, lab: Lab, course: Course) -> None:
    relay = SocketRelay(tmp_path / "relay.sock", os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"))
    ((_, spec),) = lab.cluster.new_worker_spec().items()
    options = {**spec["options"], "env": {"DOCKER_HOST": relay.host}, "resources": {"docker": 1}}
    lab.cluster.worker_spec["flaky"] = {"cls": spec["cls"], "options": options}
    lab.cluster.scale(4)
    notices: list[str] = []

    class CutAtFirstClone(Recorder):
        def stage(self, group_id: str, stage: str) -> None:
            super().stage(group_id, stage)
            if stage == "cloning (on flaky)":
                relay.cut()  # the engine answered at start-up; it is gone before the group needs it

    try:
        with Client(lab.cluster, set_as_default=False) as client:
            client.wait_for_workers(4, timeout=120)
            progress = CutAtFirstClone()
            result = course.built(grade_on_cluster(
                course.roster, course.rubric, BatchOptions(out_dir=tmp_path / "out"),
                ClusterOptions(lab.address, notify=notices.append), static=False, progress=progress))
    finally:
        relay.cut()
        del lab.cluster.worker_spec["flaky"]
        lab.cluster.scale(3)
    assert notices[0].startswith(f"cluster {lab.address}: 3 of 4 workers can grade")
    assert any(group for group, stage in progress.stages if stage == "cloning (on flaky)")
    assert any(n.startswith("worker flaky cannot grade: no Docker Engine answers") for n in notices)
    assert {o.kind for o in result.values()} == {OutcomeKind.GRADED}
    assert {o.worker for o in result.values()} <= set(WORKERS)  # its group was graded on another engine
    assert sorted(o.group.id for o in progress.done) == sorted(result)  # each once
    assert lab.leftovers() == []


#: A smoke command that waits for the file gate/open (mounted from the test's folder as data), ten minutes at most.
WAIT_FOR_GATE = (
    "import os, time\n"
    "deadline = time.monotonic() + 600\n"
    "while not os.path.exists('/work/gate/open') and time.monotonic() < deadline:\n"
    "    time.sleep(0.2)\n"
    "print('the gate opened')\n"
)


def gated_batch(folder: Path) -> tuple[Roster, LoadedRubric, Path]:
    """One group whose smoke command runs until the test creates `open` in the folder returned (the rubric's data,
    mounted at /work/gate of every run step): a sandbox container that runs exactly as long as the test needs."""
    gate = folder / "gate"
    gate.mkdir()
    RepoBuilder(folder / "gated").commit({"main.py": WAIT_FOR_GATE}, when="2026-03-30T12:00:00+02:00")
    (folder / "rubric.yaml").write_text(
        f"id: run\ntitle: Run\nsandbox: {{timeout: 600, data: {{gate: {gate}}}}}\n"
        "criteria:\n  - {id: running, title: Running, points: 5, checks: [{id: run.smoke}]}\n", encoding="utf-8")
    (folder / "roster.yaml").write_text("groups:\n  - id: gated\n    repo: gated\n    smoke: ['python main.py']\n",
                                        encoding="utf-8")
    return load_roster(folder / "roster.yaml"), load_rubric(folder / "rubric.yaml"), gate


def test_a_killed_workers_running_container_is_swept_from_its_engine_when_the_batch_ends(
    tmp_path: Path, lab: Lab
) -> None:
    """Worker b (on the second engine) is SIGKILLed while its group's smoke container runs. Nothing supervises that
    container any more; the group is graded again on worker a (the machine's engine), so no sandbox run on b's
    engine (whose cleanup_leftovers would remove it) happens after the kill. b's nanny restarts it and it becomes
    ready again; the container is still there when the last group is reported, and gone when the batch returns:
    removed by sweep_leftovers on the restarted b, which finds its owner's pid dead. A cluster of its own, so that
    the lab's workers keep their pids."""
    roster, rubric, gate = gated_batch(tmp_path)
    other = lab.engines["engine-b"]
    with (
        dask.config.set({"distributed.scheduler.work-stealing": False}),
        LocalCluster(n_workers=0, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        ((_, template),) = cluster.new_worker_spec().items()

        def start(name: str, engine: str) -> None:
            options = {**template["options"], "env": {"DOCKER_HOST": lab.hosts[engine]}}
            cluster.worker_spec[name] = {"cls": template["cls"], "options": options}
            cluster.scale(len(cluster.worker_spec))

        start("b", "engine-b")  # alone at first, so that the group starts there
        client.wait_for_workers(1, timeout=120)
        ((first_b, pid_b),) = client.run(os.getpid).items()
        seen: dict[str, Any] = {}

        def kill_b_mid_smoke() -> None:
            try:
                seen["orphan"] = _poll(lambda: _smoke_container(other, pid_b), 300, "b's smoke container to run")
                start("a", "engine-a")
                _poll(lambda: _able(client, "a"), 180, "worker a to join and be ready")
                os.kill(pid_b, signal.SIGKILL)
                _poll(lambda: _able(client, "b", not_at=first_b), 180, "b to be restarted and ready again")
            except BaseException as exc:  # the assertions below say it; the gate opens anyway, so the batch ends
                seen["error"] = f"{type(exc).__name__}: {exc}"
            finally:
                (gate / "open").touch()

        class OrphanAtEnd(Recorder):
            """Looks for the orphan as each group is reported: the batch's last step before it ends."""

            def __init__(self) -> None:
                super().__init__()
                self.orphan_there: list[bool] = []

            def finished(self, outcome: GroupOutcome) -> None:
                super().finished(outcome)
                orphan = seen.get("orphan")
                self.orphan_there.append(orphan is not None and _exists(other, orphan.id))

        choreography = threading.Thread(target=kill_b_mid_smoke, daemon=True)
        choreography.start()
        progress = OrphanAtEnd()
        notices: list[str] = []
        started = time.monotonic()
        result = grade_on_cluster(roster, rubric, BatchOptions(out_dir=tmp_path / "out"),
                                  ClusterOptions(cluster.scheduler_address, notify=notices.append), static=False,
                                  progress=progress)
        took = time.monotonic() - started
        choreography.join(30)
        pids = {pid_b, *client.run(os.getpid).values()}  # a's, and the restarted b's

    assert "error" not in seen, seen["error"]
    orphan = seen["orphan"]
    assert orphan.attrs["Labels"][OWNER_PID_LABEL] == str(pid_b)  # b's, on b's engine, running when b died
    assert progress.orphan_there == [True]  # nothing removed it while the batch ran...
    assert not _exists(other, orphan.id), f"left on b's engine after {took:.0f} s"  # ...the end-of-batch sweep did
    for name, engine in lab.engines.items():  # nor any other container of this cluster's workers, on either engine
        for pid in pids:  # one filter per pid: Docker ands the labels of a filter
            labels = [f"{MANAGED_LABEL}=1", f"{OWNER_PID_LABEL}={pid}"]
            assert not engine.containers.list(all=True, filters={"label": labels}, sparse=True), (name, pid)

    (outcome,) = result.outcomes
    assert outcome.kind is OutcomeKind.GRADED and outcome.worker == "a"
    smoke = outcome.report.check("run.smoke")
    assert smoke is not None and smoke.status == "passed"  # on a, past the gate
    assert [o.group.id for o in progress.done] == ["gated"]  # reported once
    where = [stage.rpartition(" (on ")[2] for _, stage in progress.stages if " (on " in stage]
    first_a = where.index("a)")
    assert "b)" in where[:first_a] and set(where[first_a:]) == {"a)"}  # begun on b; after the kill, on a only
    assert any(n == "worker a joined and can grade" for n in notices)
    assert any(n == "worker b joined and can grade" for n in notices)  # the restarted b, which swept its engine


def _poll(probe: Callable[[], Any], timeout_s: float, what: str) -> Any:
    """What `probe` returns once it is truthy; AssertionError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := probe():
            return found
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout_s:.0f} s for {what}")


def _smoke_container(engine: Any, pid: int) -> Any | None:
    """A running smoke container of grader process `pid` (sparse: the listing's own fields, no inspect racing a
    removal)."""
    labels = [f"{MANAGED_LABEL}=1", f"{OWNER_PID_LABEL}={pid}"]
    running = engine.containers.list(filters={"label": labels, "status": "running"}, sparse=True)
    return next((c for c in running if "python main.py" in str(c.attrs.get("Command"))), None)


def _exists(engine: Any, container: str) -> bool:
    return bool(engine.containers.list(all=True, filters={"id": container}, sparse=True))


def _able(client: Client, name: str, not_at: str | None = None) -> bool:
    """Whether worker `name` (at another address than `not_at`: a restarted one) holds a batch's resource."""
    return any(info.get("name") == name and address != not_at
               and any(k.startswith("grader-") and v > 0 for k, v in (info.get("resources") or {}).items())
               for address, info in client.scheduler_info()["workers"].items())
