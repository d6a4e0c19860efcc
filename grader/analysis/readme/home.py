"""The repository's home on its host (GitHub, GitLab, Gitea, any server), and links that point back into it.

A README may link its own files by absolute URL (`https://github.com/group/project/blob/main/scripts/README.md`):
those are files of the submission and are followed and checked like relative links. The host and the path of the
repository come from the submission's source URL, or for a local checkout from its git remote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from grader.files import SubmissionTree
from grader.models import Submission

#: Path segments after the repository that name a file or folder at a ref (GitHub, GitLab's `/-/`, Gitea, Bitbucket).
_FILE_VIEWS = frozenset({"blob", "tree", "raw", "src", "edit", "blame", "browse"})
_MAX_REF_SEGMENTS = 3
_MAX_CONFIG_BYTES = 64 * 1024


@dataclass(frozen=True)
class RepositoryHome:
    """Where the repository lives: its host (lower-case, no `www.`) and its path there (`group/sub/project`)."""

    host: str
    path: str


def repository_home(submission: Submission, tree: SubmissionTree) -> RepositoryHome | None:
    """The submission's repository on its host, from its source URL or, for a checkout, its `origin` remote."""
    home = parse_remote(submission.source)
    if home is None and submission.git_dir is not None:
        config = _git_config(submission.git_dir, tree)
        section = re.search(r'^\[remote "origin"\]((?:\n[ \t]+[^\n]*)*)', config, re.MULTILINE)
        url = re.search(r"^\s*url\s*=\s*(\S+)", section.group(1), re.MULTILINE) if section else None
        home = parse_remote(url.group(1)) if url else None
    return home


def _git_config(git_dir: Path, tree: SubmissionTree) -> str:
    """The checkout's git config: from the tree when it holds .git (a plain folder), else from the git working
    copy the tree was exported from (the self-check grades a clean export of HEAD, without .git)."""
    if tree.exists(".git/config"):
        return tree.read_text(".git/config", _MAX_CONFIG_BYTES) or ""
    for candidate in (git_dir / ".git" / "config", git_dir / "config"):
        if candidate.is_file() and not candidate.is_symlink():
            try:
                with candidate.open("rb") as handle:
                    return handle.read(_MAX_CONFIG_BYTES).decode("utf-8", errors="replace")
            except OSError:
                return ""
    return ""


def parse_remote(url: str) -> RepositoryHome | None:
    """A git remote (https, ssh or scp-like `git@host:path`) as host and path; None for a local path."""
    url = url.strip()
    scp = re.match(r"^(?:[\w.-]+@)?([\w.-]+\.[A-Za-z]{2,}):(?!//)(.+)$", url)
    if scp:
        host, path = scp.group(1), scp.group(2)
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "ssh", "git", "git+ssh", "git+https") or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    path = path.strip("/").removesuffix(".git").strip("/")
    if path.count("/") < 1:
        return None
    return RepositoryHome(_host(host), path)


def _host(host: str) -> str:
    return host.lower().removeprefix("www.")


def paths_in_home(url: str, home: RepositoryHome | None) -> list[str] | None:
    """The checkout paths an absolute URL may point at when it is a file or folder of the repository itself
    (several when a branch name may hold slashes, most likely first); `[""]` for the repository's front page;
    None when the URL leads elsewhere (another repository, its issues or wiki, another host)."""
    if home is None:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host, path = _host(parts.hostname), unquote(parts.path).strip("/")
    if host == "raw.githubusercontent.com" and home.host == "github.com":
        host, path = "github.com", _raw_to_blob(path, home.path)
    if host != home.host or not (path.lower() == home.path.lower() or path.lower().startswith(home.path.lower() + "/")):
        return None
    rest = [s for s in path[len(home.path):].split("/") if s]
    if rest[:1] == ["-"]:
        rest = rest[1:]
    if not rest:
        return [""]
    if rest[0] not in _FILE_VIEWS or len(rest) < 2:
        return None
    if len(rest) == 2:
        return [""]  # the repository's root at a branch or tag
    # The ref is one segment (`main`) or, for branch names with slashes, more: longest path first.
    return ["/".join(rest[1 + n:]) for n in range(1, min(_MAX_REF_SEGMENTS, len(rest) - 2) + 1)]


def _raw_to_blob(path: str, home_path: str) -> str:
    """`owner/name/ref/file` of raw.githubusercontent.com as `owner/name/blob/ref/file`."""
    if path.lower().startswith(home_path.lower() + "/"):
        return f"{home_path}/blob/{path[len(home_path) + 1:]}"
    return path
