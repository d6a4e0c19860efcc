"""Issue 14.1 against the real engine: a setup.py run by pip reaches the package index and nothing on the host.

A secret service listens on every address of the host (its loopback included). The group's setup.py tries every
way there: direct, through the proxy variables, through the gateway's own socket, the host's addresses, the
bridge's gateway, the cloud metadata address. None gets the secret, and the secret is nowhere in the report.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.files import SubmissionTree
from grader.outcomes import BuildResult, StepStatus
from grader.sandbox.engine import Engine
from grader.sandbox.install import prepare_environment
from grader.sandbox.policy import SandboxPolicy
from tests.harness import MakeTree
from tests.sandbox.pyindex import LocalIndex, local_index, wheel

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("base_image", "no_leftovers")]

SECRET = "HOST-SECRET-3f9a0c"

HOSTILE_SETUP = r'''
import socket, urllib.request
PORT, ADDRESSES = {port}, {addresses!r}
report = []
def attempt(name, action):
    try:
        report.append(f"{{name}}: GOT {{action()!r}}")
    except Exception as exc:
        report.append(f"{{name}}: refused ({{type(exc).__name__}})")
def raw(host, port, request=b"GET / HTTP/1.0\r\n\r\n"):
    with socket.create_connection((host, port), timeout=3) as s:
        s.sendall(request)
        return s.recv(300).decode("utf-8", "replace")
def unix(request):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect("/grader-gate/gate.sock")
        s.sendall(request)
        return s.recv(300).decode("utf-8", "replace")
def proxied(url):
    return urllib.request.urlopen(url, timeout=5).read(300).decode("utf-8", "replace")
attempt("loopback", lambda: raw("127.0.0.1", PORT))
for address in ADDRESSES:
    attempt(f"host {{address}}", lambda: raw(address, PORT))
attempt("bridge-gateway", lambda: raw("172.17.0.1", PORT))
attempt("metadata", lambda: raw("169.254.169.254", 80))
attempt("proxy-loopback", lambda: proxied(f"http://127.0.0.1:{{PORT}}/"))
attempt("proxy-localhost", lambda: proxied(f"http://localhost:{{PORT}}/"))
attempt("proxy-metadata", lambda: proxied("http://169.254.169.254/latest/meta-data/"))
for address in ADDRESSES:
    attempt(f"proxy-host {{address}}", lambda: proxied(f"http://{{address}}:{{PORT}}/"))
attempt("gate-connect", lambda: unix(f"CONNECT 127.0.0.1:{{PORT}} HTTP/1.1\r\n\r\n".encode()))
attempt("gate-forged-file", lambda: unix(b"GET /files/" + b"a" * 24 + b"/x.whl HTTP/1.1\r\n\r\n"))
interfaces = sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:])
report.append("interfaces=" + ",".join(interfaces))
raise SystemExit("HOSTILE REPORT: " + " | ".join(report))
'''


def host_addresses() -> list[str]:
    """The host's own IPv4 addresses besides loopback."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return [a for a in out if "." in a and not a.startswith("127.")][:4]


@pytest.fixture
def secret_service() -> Iterator[int]:
    """A service on every address of the host answering with SECRET; its port."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()
    hits: list[str] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = listener.accept()
            except OSError:
                continue
            hits.append(peer[0])
            with conn:
                conn.sendall(f"HTTP/1.0 200 OK\r\n\r\n{SECRET}".encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    listener.close()
    assert not hits, f"the secret service was reached from {hits}"


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LocalIndex]:
    with local_index(tmp_path / "index") as served:
        built = tmp_path / "built"
        built.mkdir()
        served.add(wheel(built, "netokpkg", "1.0"))
        yield served


def test_setup_py_reaches_nothing_on_the_host_and_the_report_holds_no_secret(
    make_tree: MakeTree, tmp_path: Path, secret_service: int, index: LocalIndex
) -> None:
    setup = HOSTILE_SETUP.format(port=secret_service, addresses=host_addresses())
    root = make_tree({"setup.py": setup, "main.py": "print(1)\n"})
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(
        "id: net\ntitle: network\n"
        f"sandbox: {{index_url: '{index.url}'}}\n"
        "criteria:\n  - {id: execution, title: Execution, points: 10, checks: [{id: run.build, weight: 1}]}\n"
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "check", str(root), "--rubric", str(rubric), "--format", "json",
         "--format", "md", "-o", str(out)],
        capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode in (0, 1), done.stderr
    report = json.loads((out / "report.json").read_text())
    build = report["run"]["steps"][0]
    log = build["stdout_tail"] + build["stderr_tail"]
    # The group's own failure (a refusal of the host's addresses never becomes the grader's infra-error).
    assert build["status"] == str(StepStatus.FAILED), build
    assert "HOSTILE REPORT" in log, log
    attempts = dict(part.split(": ", 1) for part in log.split("HOSTILE REPORT: ")[1].split("\n")[0].split(" | ")
                    if ": " in part)
    for name in ("loopback", "bridge-gateway", "metadata", "proxy-loopback", "proxy-localhost", "proxy-metadata"):
        assert attempts[name].startswith("refused"), (name, attempts)
    for name in ("gate-connect", "gate-forged-file"):
        assert attempts[name].startswith("GOT 'HTTP/1.1 403"), (name, attempts)
    assert all(v.startswith("refused") for k, v in attempts.items() if k.startswith(("host ", "proxy-host "))), attempts
    assert "interfaces=lo" in log and "eth" not in log.split("interfaces=")[1], log
    assert SECRET not in (out / "report.json").read_text()
    assert SECRET not in (out / "report.md").read_text()
    assert SECRET not in done.stdout + done.stderr


def test_an_index_the_group_names_but_the_grader_refuses_is_the_graders_call(
    engine: Engine, make_tree: MakeTree, index: LocalIndex
) -> None:
    root = make_tree({"requirements.txt": "--extra-index-url https://download.pytorch.org/whl/cpu\n"
                                          "torchonly-not-on-the-local-index==1.0\n"})
    prepared = prepare_environment(engine, SubmissionTree(root), SandboxPolicy(index_url=index.url))
    detail = prepared.step.detail
    assert isinstance(detail, BuildResult)
    assert prepared.step.status is StepStatus.INFRA_ERROR, prepared.step
    assert detail.failure_reason == "host-not-allowed"
    assert "download.pytorch.org:443" in str(detail.explanation)
    assert "sandbox.install_hosts" in str(detail.explanation)
