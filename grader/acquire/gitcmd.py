"""Running git on untrusted repositories: a clean environment, hardening settings, a time limit and a size cap."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Host variables git may keep: how to reach a remote (proxies, CA bundle, ssh agent), nothing that redirects
#: git to another repository (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE... are dropped).
_PASSED_THROUGH = (
    "PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "SSH_AUTH_SOCK", "GIT_SSH_COMMAND", "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY",
    "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "all_proxy",
)

#: Settings given to every git command with the precedence of `git -c` (they beat the repository's own config):
#: no hooks, no fsmonitor command, no submodules, no LFS smudge, no background gc, no redirects.
_HARDENING: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("core.quotePath", "false"),
    ("core.sshCommand", "ssh -o BatchMode=yes"),
    ("protocol.allow", "never"),
    ("protocol.ext.allow", "never"),
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("filter.lfs.required", "false"),
    ("filter.lfs.smudge", "cat"),
    ("filter.lfs.clean", "cat"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("http.followRedirects", "false"),
    ("advice.detachedHead", "false"),
    ("init.defaultBranch", "main"),
)

_PROTOCOL_OF_KIND = {"https": "https", "http": "http", "ssh": "ssh", "git": "git", "local": "file"}


@dataclass(frozen=True)
class GitResult:
    """How one git command ended: exit code (None when stopped), output, and why it was stopped if it was."""

    returncode: int | None
    stdout: str
    stderr: str
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        """Whether git finished by itself with exit code 0."""
        return self.returncode == 0 and self.stopped is None


def git_env(
    kind: str | None = None, extra_config: Sequence[tuple[str, str]] = (), extra_env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment for one git command; `kind` allows exactly that remote protocol (none when None)."""
    env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_LFS_SKIP_SMUDGE="1",
        GIT_PROTOCOL_FROM_USER="0",
        LC_ALL="C",
        LANGUAGE="C",
    )
    config = list(_HARDENING)
    if kind is not None:
        config.append((f"protocol.{_PROTOCOL_OF_KIND[kind]}.allow", "always"))
    if kind != "local":
        config.append(("protocol.file.allow", "never"))
    config.extend(extra_config)
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for index, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    env.update(extra_env or {})
    return env


def run_git(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    timeout_s: float = 120.0,
    watch: Path | None = None,
    max_bytes: int | None = None,
) -> GitResult:
    """Run `git ARGS`, killing it after `timeout_s` or when the folder `watch` grows past `max_bytes`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                ["git", *_as_options(env), *args], env=dict(env), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                start_new_session=True,  # so a kill reaches git's children too (remote helpers, index-pack)
            )
        except OSError as exc:
            return GitResult(None, "", f"could not start git: {exc.strerror}", stopped="git-missing")
        stopped = _supervise(proc, timeout_s, watch, max_bytes)
        out.seek(0)
        err.seek(0)
        return GitResult(
            None if stopped else proc.returncode,
            out.read().decode("utf-8", errors="replace"),
            err.read().decode("utf-8", errors="replace"),
            stopped,
        )


def _as_options(env: Mapping[str, str]) -> list[str]:
    """The environment's GIT_CONFIG_KEY/VALUE pairs again as `-c` options: git before 2.31 ignores the former."""
    options = []
    for index in range(int(env.get("GIT_CONFIG_COUNT", "0"))):
        options += ["-c", f"{env[f'GIT_CONFIG_KEY_{index}']}={env[f'GIT_CONFIG_VALUE_{index}']}"]
    return options


def _supervise(
    proc: subprocess.Popen[bytes], timeout_s: float, watch: Path | None, max_bytes: int | None
) -> str | None:
    """Wait for `proc`; stop it on timeout or size cap and say which."""
    deadline = time.monotonic() + timeout_s
    interval = 0.05
    while True:
        try:
            # Returns as soon as git exits; never waits past the deadline, so the limit is exact.
            proc.wait(timeout=max(0.0, min(interval, deadline - time.monotonic())))
            return None
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() >= deadline:
            _kill(proc)
            return "timeout"
        if watch is not None and max_bytes is not None and folder_size(watch) > max_bytes:
            _kill(proc)
            return "size-cap"
        interval = min(0.5, interval * 1.5)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def folder_size(path: Path) -> int:
    """Bytes of the regular files under `path`, links not followed; files vanishing mid-walk are ignored."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total


def first_line(text: str) -> str:
    """The most telling line of git's error output, for a one-line reason."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["no output"])[-1 if fatal else 0][:300]
