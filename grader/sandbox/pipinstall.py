"""One pip install in a container, committed on success: the group's environment and the course layer alike.

The container gets the staged files read-only, pip's scratch on disk in its own layer (watched by DiskWatch),
and, in the default `proxy` network mode, no network but the grader's gateway (gateway.py), through which pip
reaches the configured indexes via the download cache and nothing else.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import forwarder
from grader.sandbox.container import ContainerResult, ContainerSpec, LineHook, Mount, run_container
from grader.sandbox.diskwatch import DiskVerdict, DiskWatch
from grader.sandbox.downloads import DownloadCache
from grader.sandbox.engine import Engine
from grader.sandbox.gateway import PYPI_INDEX, InstallGateway
from grader.sandbox.image import IndexSettings
from grader.sandbox.mirror import GatewayStats
from grader.sandbox.policy import SandboxPolicy

#: Where the staged files appear inside the install container (read-only).
STAGE = "/grader-in"
#: pip's options for every install: --no-cache-dir keeps pip's own cache out of the committed image (the
#: grader's download cache, outside the container, does that job).
PIP = ("pip", "install", "--no-input", "--no-cache-dir", "--progress-bar", "off")
#: A writable copy of the staged files, the pip installs in order, then scratch left in /tmp removed so that it
#: is not committed into the image. Each install is a command of its own: `set -e` stops at a failing one (it
#: would not for any but the last of an `a && b` list).
_SCRIPT = ("set -e; {forwarder}cp -r {stage}/src /tmp/src; cd /tmp/src; {installs}; {optional}cd /; "
           "rm -rf /tmp/* /tmp/.[!.]* 2>/dev/null || true")
#: Packages that may fail without failing the install (the notebooks' own `!pip install`s): together, else one by
#: one, so that one package that does not install costs only itself.
_OPTIONAL = "{together} || for p in {each}; do {one} \"$p\" || true; done; "


@dataclass(frozen=True)
class InstallRun:
    """What one install container did, and what the gateway and the disk watch saw of it."""

    result: ContainerResult
    #: The gateway's counts (downloads, cache hits, refusals); None when pip went to the network directly.
    gateway: GatewayStats | None
    #: Why the grader stopped the install for lack of disk; None when it did not.
    disk: DiskVerdict | None
    #: The largest size of the container's writable layer seen while it ran (0 when never measured).
    disk_peak: int


def quote(arg: str) -> str:
    """One shell word."""
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def install_script(
    pip_installs: tuple[tuple[str, ...], ...], forwarder_line: str | None = None, optional: tuple[str, ...] = (),
) -> str:
    """The shell script run in the install container (index settings come through its environment): the
    `pip_installs` in order, each of which must succeed, then the `optional` requirements in a pip call of their
    own that may fail."""
    installs = "; ".join(" ".join(quote(a) for a in [*PIP, *args]) for args in pip_installs)
    pip = " ".join(quote(a) for a in PIP)
    extra = _OPTIONAL.format(together=f"{pip} {' '.join(quote(r) for r in optional)}",
                             each=" ".join(quote(r) for r in optional), one=pip) if optional else ""
    return _SCRIPT.format(stage=STAGE, installs=installs or "true", optional=extra,
                          forwarder=f"{forwarder_line}; " if forwarder_line else "")


def install_env(settings: IndexSettings, policy: SandboxPolicy) -> dict[str, str]:
    """The install container's whole environment: pip settings from the policy, nothing from the host."""
    env = {"HOME": "/home/grader", "PIP_NO_INPUT": "1", **settings.pip_env(STAGE)}
    if policy.install_network == "none":
        # An offline lab: the wheelhouse is the only source; asking an index would only wait for retries.
        env["PIP_NO_INDEX"] = "1"
    return env


def run_install(
    engine: Engine, *, image: str, pip_installs: tuple[tuple[str, ...], ...], stage: Path, settings: IndexSettings,
    policy: SandboxPolicy, commit_to: str, run_id: str, labels: Mapping[str, str], cache: DownloadCache | None = None,
    hook: LineHook = None, optional: tuple[str, ...] = (),
) -> InstallRun:
    """Run the installs in a container from `image` (staged files under `stage`) and commit it to `commit_to`
    when pip succeeds; `optional` requirements come after them and may fail; `hook` gets pip's output lines as they
    come (the install's progress display)."""
    mounts = [Mount(stage, STAGE)]
    if settings.wheelhouse:
        mounts.append(Mount(Path(settings.wheelhouse).resolve(), f"{STAGE}/wheelhouse"))
    env = install_env(settings, policy)
    network = policy.install_network
    with contextlib.ExitStack() as stack:
        forwarder_line = None
        gateway: InstallGateway | None = None
        if network == "proxy":
            # The extra indexes come after the main one, PyPI unless the policy names another.
            indexes = [settings.index_url or PYPI_INDEX, *settings.extra_index_urls]
            gateway = stack.enter_context(InstallGateway(indexes, policy.install_hosts, cache or DownloadCache(),
                                                         settings.ca_bundle))
            shutil.copyfile(forwarder.__file__, stage / "forwarder.py")
            (stage / "forwarder.py").chmod(0o644)
            forwarder_line = gateway.forwarder_command(f"{STAGE}/forwarder.py")
            mounts.append(gateway.mount())
            env.update(gateway.env())
            # No network at all: the gateway's socket is the only way out.
            network = "none"
        # User grader (owner of /opt/venv), no capabilities, no host mount writable, no docker socket: a hostile
        # setup.py can only spoil this container, which is not committed unless pip succeeds. No tmpfs: pip's
        # scratch is on disk, in the container's own layer, under the disk watch.
        spec = ContainerSpec(
            image=image, command=("sh", "-c", install_script(pip_installs, forwarder_line, optional)), run_id=run_id,
            mounts=tuple(mounts), env=env, user="1000:1000", network_mode=network, memory=policy.memory,
            cpus=policy.cpus, pids=policy.pids, read_only_root=False, tmpfs={},
            timeout=float(policy.install_timeout), output_limit=policy.output_limit, commit_to=commit_to,
            extra_labels=labels,
        )
        watch = stack.enter_context(DiskWatch(engine, run_id, policy))
        result = run_container(engine, spec, hook=hook)
    return InstallRun(result, gateway.stats if gateway else None, watch.verdict, watch.peak)
