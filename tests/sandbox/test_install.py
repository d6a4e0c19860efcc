"""The install phase against the real engine: an environment installs and is cached; failures are diagnosed;
a hostile setup.py cannot reach the host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader.files import SubmissionTree
from grader.outcomes import BuildResult, StepOutcome, StepStatus
from grader.sandbox.engine import Engine
from grader.sandbox.install import PreparedEnvironment, prepare_environment
from grader.sandbox.policy import SandboxPolicy
from tests.harness import MakeTree

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("base_image", "no_leftovers")]


def built(step: StepOutcome) -> BuildResult:
    """The build step's parsed results."""
    assert isinstance(step.detail, BuildResult), step
    return step.detail


def output_of(client: Any, image: str, command: list[str]) -> str:
    """stdout of a command run in `image` without a network (created, waited for, then removed: `run(remove=True)`
    races with reading the logs)."""
    container = client.containers.create(image, command, network_mode="none", read_only=True)
    try:
        container.start()
        container.wait(timeout=60)
        return str(container.logs(stdout=True, stderr=False).decode())
    finally:
        container.remove(force=True)


def prepare(engine: Engine, root: Path, **policy: Any) -> PreparedEnvironment:
    return prepare_environment(engine, SubmissionTree(root), SandboxPolicy(**policy))


def test_requirements_install_then_cache_hit(
    docker_client: Any, engine: Engine, make_tree: MakeTree, tmp_path: Path
) -> None:
    # A per-run marker in a comment gives a fresh cache key, so the first install is a real one.
    root = make_tree({"requirements.txt": f"six==1.17.0  # {tmp_path.name}\n", "main.py": "import six\n"})
    first = prepare(engine, root)
    assert first.step.status is StepStatus.PASSED, first.step.stderr_tail
    assert first.kind == "requirements"
    assert built(first.step).cache_hit is False
    try:
        out = output_of(docker_client, first.image, ["python", "-c", "import six; print(six.__version__)"])
        assert out.strip() == "1.17.0"
        # A code change keeps the environment (only the requirement files are in the key).
        (root / "main.py").write_text("import six\nprint(six)\n")
        second = prepare(engine, root)
        assert built(second.step).cache_hit is True
        assert second.image_id == first.image_id
        # A changed requirement file is a new environment.
        (root / "requirements.txt").write_text(f"six==1.16.0  # {tmp_path.name}\n")
        third = prepare(engine, root)
        assert built(third.step).cache_hit is False
        assert third.image_id != first.image_id
        docker_client.images.remove(third.image, force=True)
    finally:
        docker_client.images.remove(first.image, force=True)


def test_plain_submission_uses_the_base_image(engine: Engine, make_tree: MakeTree, base_image: str) -> None:
    prepared = prepare(engine, make_tree({"main.py": "print(1)\n"}))
    assert prepared.kind == "plain"
    assert prepared.step.status is StepStatus.PASSED
    assert prepared.image_id == base_image


@pytest.mark.parametrize(
    ("files", "reason", "requirement"),
    [
        ({"requirements.txt": "grader-no-such-package-xyz-42==1.0\n"}, "no-such-package", "grader-no-such-package"),
        ({"requirements.txt": "six==99.0\n"}, "no-such-version", "six==99.0"),
        ({"pyproject.toml": "[project]\nname='oldpy'\nversion='0.1'\nrequires-python='<3.9'\n"},
         "python-version-mismatch", "oldpy"),
        ({"setup.py": "raise SystemExit('boom from setup.py')\n"}, "build-failure", "setup.py"),
        # Each file is a pip call of its own: a failing first one fails the install, whatever the next does.
        ({"requirements-dev.txt": "grader-no-such-package-xyz-42==1.0\n", "requirements.txt": "six==1.17.0\n"},
         "no-such-package", "grader-no-such-package"),
    ],
    ids=["no-such-package", "no-such-version", "requires-python", "setup-py-fails", "first-of-two-files-fails"],
)
def test_install_failure_is_diagnosed(
    engine: Engine, make_tree: MakeTree, files: dict[str, str], reason: str, requirement: str
) -> None:
    prepared = prepare(engine, make_tree(files))
    step = prepared.step
    assert step.status is StepStatus.FAILED
    assert prepared.image == ""
    assert built(step).failure_reason == reason, step.stderr_tail
    assert requirement in str(built(step).failed_requirement)
    assert step.stderr_tail.strip(), "the log's tail is kept for the report"


def test_a_project_that_is_no_package_installs_its_dependencies(
    docker_client: Any, engine: Engine, make_tree: MakeTree, tmp_path: Path
) -> None:
    # Two top-level folders and no packaging configuration: setuptools refuses to guess (a common hand-in).
    root = make_tree({
        "pyproject.toml": f"[project]\nname = 'flat-{tmp_path.name[-8:]}'\nversion = '0.1'\n"
                          "dependencies = ['six==1.17.0']\n",
        "models/net.py": "import six\n", "training/loop.py": "X = 1\n",
    })
    first = prepare(engine, root)
    try:
        assert first.step.status is StepStatus.PASSED, first.step.stderr_tail
        note = next(n for n in built(first.step).notes if "installed alone" in n)
        assert "Multiple top-level packages discovered in a flat-layout" in note
        out = output_of(docker_client, first.image, ["python", "-c", "import six; print(six.__version__)"])
        assert out.strip() == "1.17.0"
        # A regrade goes straight to the dependencies' image, with the same note.
        again = prepare(engine, root)
        assert built(again.step).cache_hit is True and again.image_id == first.image_id
        assert note in built(again.step).notes
    finally:
        if first.image:
            docker_client.images.remove(first.image, force=True)


def test_install_timeout_is_the_graders_limit(engine: Engine, make_tree: MakeTree) -> None:
    root = make_tree({"setup.py": "import time\ntime.sleep(600)\n"})
    prepared = prepare(engine, root, install_timeout=5)
    # The grader's own limit stopped it: infra-error with the reason, never a failure pinned on the group.
    assert prepared.step.status is StepStatus.INFRA_ERROR
    assert built(prepared.step).failure_reason == "install-timeout"
    assert "sandbox.install_timeout" in str(prepared.step.error)
    assert "Preparing metadata" in str(built(prepared.step).explanation)
    assert prepared.step.duration_s < 60


HOSTILE_SETUP = '''
import os, subprocess
report = []
def attempt(name, action):
    try:
        action()
        report.append(f"{name}: DONE")
    except Exception as exc:
        report.append(f"{name}: refused ({type(exc).__name__})")
attempt("write-host-marker", lambda: open(HOST_MARKER, "w").write("pwned"))
attempt("write-stage", lambda: open("/grader-in/src/pwned", "w").write("pwned"))
attempt("write-root", lambda: open("/pwned", "w").write("pwned"))
attempt("docker-socket", lambda: open("/var/run/docker.sock", "rb"))
attempt("shadow", lambda: open("/etc/shadow").read())
report.append(f"uid={os.getuid()}")
report.append("token=" + os.environ.get("GRADER_TEST_SECRET_TOKEN", "absent"))
report.append("caps=" + [l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1])
raise SystemExit("HOSTILE REPORT: " + "; ".join(report))
'''


def test_malicious_setup_py_cannot_harm_the_host(
    engine: Engine, make_tree: MakeTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pwned-by-setup-py"
    monkeypatch.setenv("GRADER_TEST_SECRET_TOKEN", "s3cr3t")
    root = make_tree({"setup.py": f"HOST_MARKER = {str(marker)!r}\n{HOSTILE_SETUP}"})
    prepared = prepare(engine, root)
    log = prepared.step.stdout_tail + prepared.step.stderr_tail
    assert prepared.step.status is StepStatus.FAILED
    assert prepared.image == "", "a failed install is never committed"
    assert "HOSTILE REPORT" in log, log
    assert not marker.exists()
    assert not (root / "pwned").exists()
    assert "write-stage: refused" in log
    assert "write-root: refused" in log
    assert "docker-socket: refused" in log
    assert "shadow: refused" in log
    assert "uid=1000" in log
    assert "token=absent" in log
    assert "caps=0000000000000000" in log


def test_group_dockerfile_used_only_when_allowed(
    docker_client: Any, engine: Engine, make_tree: MakeTree, tmp_path: Path
) -> None:
    from grader.sandbox.image import base_image_tag

    root = make_tree({
        "Dockerfile": f"FROM {base_image_tag()}\nRUN echo {tmp_path.name} > /home/grader/built-by-group\n",
        "main.py": "print(1)\n",
    })
    ignored = prepare(engine, root)
    assert ignored.kind == "plain"
    assert any("Dockerfile" in str(n) for n in built(ignored.step).notes)
    used = prepare(engine, root, allow_dockerfile=True)
    try:
        assert used.kind == "dockerfile"
        assert used.step.status is StepStatus.PASSED, used.step.stderr_tail
        out = output_of(docker_client, used.image, ["cat", "/home/grader/built-by-group"])
        assert out.strip() == tmp_path.name
        assert built(prepare(engine, root, allow_dockerfile=True).step).cache_hit is True
    finally:
        docker_client.images.remove(used.image, force=True)


def test_failing_group_dockerfile_is_diagnosed(engine: Engine, make_tree: MakeTree, tmp_path: Path) -> None:
    from grader.sandbox.image import base_image_tag

    root = make_tree({"Dockerfile": f"FROM {base_image_tag()}\nRUN echo {tmp_path.name} && exit 3\n"})
    prepared = prepare(engine, root, allow_dockerfile=True)
    assert prepared.step.status is StepStatus.FAILED
    assert prepared.image == ""
    assert built(prepared.step).failure_reason == "dockerfile-build-failed"
    assert built(prepared.step).failed_requirement == "Dockerfile"
    assert "non-zero code: 3" in str(built(prepared.step).explanation)


def _wheel(folder: Path, name: str, version: str) -> None:
    """A minimal pure-Python wheel holding module `name` (so the test needs no index and no build)."""
    import base64
    import hashlib
    import zipfile

    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": "VALUE = 42\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: grader-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)


def test_offline_install_from_a_wheelhouse(
    docker_client: Any, engine: Engine, make_tree: MakeTree, tmp_path: Path
) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    name = f"graderwheel_{tmp_path.name.replace('-', '_')[-20:]}".lower()
    _wheel(wheelhouse, name, "1.0")
    root = make_tree({"requirements.txt": f"{name}==1.0\n"})
    prepared = prepare(engine, root, install_network="none", wheelhouse=str(wheelhouse))
    try:
        assert prepared.step.status is StepStatus.PASSED, prepared.step.stderr_tail
        out = output_of(docker_client, prepared.image, ["python", "-c", f"import {name}; print({name}.VALUE)"])
        assert out.strip() == "42"
    finally:
        if prepared.image:
            docker_client.images.remove(prepared.image, force=True)
