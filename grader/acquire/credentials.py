"""Credentials for private repositories: taken from the environment, handed to git only through askpass."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from grader.acquire.policy import AcquirePolicy, RemoteUrl

#: Answers git's "Username for ..." and "Password for ..." prompts from variables git passes through to it, so
#: the secret is never on a command line, in a URL on disk, or in a file.
_ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$GRADER_ASKPASS_USERNAME" ;;
  *) printf '%s\\n' "$GRADER_ASKPASS_PASSWORD" ;;
esac
"""

DEFAULT_USERNAME = "x-access-token"


@dataclass(frozen=True)
class GitCredentials:
    """What git needs to authenticate one fetch, and the secrets every message must be scrubbed of."""

    env: dict[str, str]
    config: tuple[tuple[str, str], ...]
    secrets: tuple[str, ...]


def credentials_for(remote: RemoteUrl, policy: AcquirePolicy, scratch: Path) -> GitCredentials:
    """Credentials for `remote`: a password from its URL, else the policy's token (in memory, then from its
    variable), else GIT_ASKPASS or the policy's credential helper; `scratch` is where the askpass script is
    written."""
    # An empty credential.helper resets any list, so only the helper the policy names is consulted.
    config: list[tuple[str, str]] = [("credential.helper", "")]
    if policy.credential_helper:
        config.append(("credential.helper", policy.credential_helper))
    password = remote.password or policy.token or os.environ.get(policy.token_env) or None
    if remote.kind not in {"https", "http"} or password is None:
        env = {"GIT_ASKPASS": os.environ["GIT_ASKPASS"]} if "GIT_ASKPASS" in os.environ else {}
        return GitCredentials(env=env, config=tuple(config), secrets=())
    username = policy.username or os.environ.get(policy.username_env) or DEFAULT_USERNAME
    script = _askpass_script(scratch)
    env = {
        "GIT_ASKPASS": str(script),
        "GRADER_ASKPASS_USERNAME": username,
        "GRADER_ASKPASS_PASSWORD": password,
    }
    return GitCredentials(env=env, config=tuple(config), secrets=(password,))


def _askpass_script(scratch: Path) -> Path:
    scratch.mkdir(parents=True, exist_ok=True)
    script = scratch / "askpass.sh"
    if not script.is_file() or script.read_text(encoding="utf-8") != _ASKPASS:
        script.write_text(_ASKPASS, encoding="utf-8")
    script.chmod(stat.S_IRWXU)
    return script
