"""Which repository URLs the grader will fetch from, and how secrets are kept out of every message."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

#: Schemes accepted by default: https, ssh (URL or scp-like `user@host:path`) and local paths.
DEFAULT_SCHEMES = frozenset({"https", "ssh", "local"})

#: `transport::address` asks git to run a remote helper (`ext::sh -c ...` runs any command): never allowed.
_HELPER_SYNTAX = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/:]+)@)?(?P<host>[^/:]+):(?P<path>.*)$")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


class UrlRefused(ValueError):
    """A repository URL the policy does not allow; the message is safe to show (no credentials)."""


@dataclass(frozen=True)
class AcquirePolicy:
    """Limits for fetching untrusted repositories: schemes, time, size and where credentials come from."""

    #: Accepted kinds: "https", "ssh", "local", and "http" / "git" only when listed explicitly.
    allowed_schemes: frozenset[str] = DEFAULT_SCHEMES
    #: Wall-clock limit for one ls-remote / fetch, in seconds.
    clone_timeout_s: float = 300.0
    #: Cap in bytes for the fetched repository on disk and, separately, for the checked-out tree.
    max_bytes: int = 1024 * 1024 * 1024
    #: Environment variable holding a token for https remotes (sent through git's askpass, never in a URL).
    token_env: str = "GRADER_GIT_TOKEN"
    #: Environment variable with the user name to pair with the token (default "x-access-token").
    username_env: str = "GRADER_GIT_USERNAME"
    #: A git credential helper to use (e.g. "store --file ~/.grader-credentials"); None uses none.
    credential_helper: str | None = None
    #: A token held in memory, used before `token_env` (a cluster worker is handed the lecturer's this way);
    #: out of repr, so no log line or message shows it.
    token: str | None = field(default=None, repr=False)
    #: The user name to pair with `token`, used before `username_env`.
    username: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RemoteUrl:
    """A URL the policy accepted, split into what git is given and the credentials kept apart from it."""

    #: "https", "http", "ssh", "git" or "local".
    kind: str
    #: What git is given: the URL without any password, or an absolute local path.
    target: str
    #: What reports show: `target` with any user name removed too.
    display: str
    #: A password found in the URL's userinfo; handed to git through askpass, never on a command line.
    password: str | None = None


def check_url(url: str, policy: AcquirePolicy) -> RemoteUrl:
    """Classify `url` and refuse what the policy forbids; raises UrlRefused with a message free of secrets."""
    shown = scrub(url)
    if not url or url != url.strip() or any(ord(c) < 32 or ord(c) == 127 for c in url):
        raise UrlRefused(f"refused repository URL {shown!r}: empty, padded or containing control characters")
    if url.startswith("-"):
        raise UrlRefused(f"refused repository URL {shown!r}: starts with '-' (would be read as a git option)")
    if _HELPER_SYNTAX.match(url):
        raise UrlRefused(f"refused repository URL {shown!r}: the 'transport::' syntax runs a remote helper")
    match = _URL_SCHEME.match(url)
    if match:
        return _scheme_url(url, match.group(1).lower(), policy)
    scp = _SCP_LIKE.match(url)
    if scp and "/" not in url.split(":", 1)[0] and not Path(url).exists():
        return _scp_url(url, scp, policy)
    return _local(Path(url), url, policy)


def _scheme_url(url: str, scheme: str, policy: AcquirePolicy) -> RemoteUrl:
    shown = scrub(url)
    if scheme == "file":
        return _local(Path(unquote(urlsplit(url).path)), url, policy)
    if scheme not in {"https", "http", "ssh", "git"} or scheme not in policy.allowed_schemes:
        raise UrlRefused(f"refused repository URL {shown!r}: scheme {scheme!r} is not allowed")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or host.startswith("-") or (parts.username or "").startswith("-"):
        raise UrlRefused(f"refused repository URL {shown!r}: missing or option-like host or user name")
    password = unquote(parts.password) if parts.password else None
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    target_netloc = f"{parts.username}@{netloc}" if parts.username else netloc
    target = urlunsplit((parts.scheme, target_netloc, parts.path, parts.query, ""))
    display = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return RemoteUrl(kind=scheme, target=target, display=display, password=password)


def _scp_url(url: str, scp: re.Match[str], policy: AcquirePolicy) -> RemoteUrl:
    shown = scrub(url)
    if "ssh" not in policy.allowed_schemes:
        raise UrlRefused(f"refused repository URL {shown!r}: ssh is not allowed")
    if scp.group("host").startswith("-") or (scp.group("user") or "").startswith("-"):
        raise UrlRefused(f"refused repository URL {shown!r}: option-like host or user name")
    return RemoteUrl(kind="ssh", target=url, display=f"{scp.group('host')}:{scp.group('path')}")


def _local(path: Path, url: str, policy: AcquirePolicy) -> RemoteUrl:
    shown = scrub(url)
    if "local" not in policy.allowed_schemes:
        raise UrlRefused(f"refused repository URL {shown!r}: local paths are not allowed")
    resolved = path.expanduser().resolve()
    if not resolved.is_dir():
        raise UrlRefused(f"refused repository URL {shown!r}: no such local repository folder")
    return RemoteUrl(kind="local", target=str(resolved), display=str(resolved))


def scrub(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """`text` with URL userinfo (`user:password@`) and every given secret replaced by `***`."""
    text = _USERINFO.sub("***@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
