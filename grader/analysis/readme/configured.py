"""Data a README command reads through the configuration file it is given (`python learn.py --config a.yaml`).

A configuration file is arguments by another name: `musan_path: data/musan_augment` says what the command reads as
plainly as `--musan_path data/musan_augment` would. Its values are judged as option values are (classify.py): a
data option, or a path under a folder given to any key that names no output; those the repository lacks are data
to fetch first. The file is read within the bounds of every student file (grader/analysis/structured.py).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator
from typing import Any

from grader.analysis.readme.classify import Exists, reads_path
from grader.analysis.structured import Parsed, load_json, load_toml, load_yaml
from grader.files import SubmissionTree

_CONFIG = re.compile(r"\.(?:ya?ml|json|toml)$", re.IGNORECASE)
#: Largest configuration file read, and most values of it judged.
MAX_CONFIG_BYTES = 256 * 1024
MAX_VALUES = 2000


def configured_data(command: str, cwd: str, tree: SubmissionTree, exists: Exists) -> tuple[str, tuple[str, ...]]:
    """The first configuration file the command is given that names data the repository does not have, and those
    paths (relative to the folder the command runs in, as it reads them); ("", ()) when none does."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    for word in words[1:]:
        value = word.partition("=")[2] if word.startswith("-") else word
        if not _CONFIG.search(value) or value.startswith("/"):
            continue
        rel = posixpath.normpath(posixpath.join(cwd, value))
        missing = tuple(dict.fromkeys(
            path for key, path in _values(_load(tree, rel)) if reads_path(f"--{key}", path)
            and not re.search(r"[<{$*?]|://", path)
            and not exists(path if path.startswith("/") else posixpath.normpath(posixpath.join(cwd, path)))))
        if missing:
            return rel, missing
    return "", ()


def _load(tree: SubmissionTree, rel: str) -> Any:
    """The configuration's data; None when it is not a readable file of the repository or does not parse."""
    if rel.startswith("..") or not tree.exists(rel):
        return None
    try:
        if tree.size(rel) > MAX_CONFIG_BYTES:
            return None
    except OSError:
        return None
    text = tree.read_text(rel, MAX_CONFIG_BYTES)
    if text is None:
        return None
    lowered = rel.lower()
    parsed: Parsed = load_json(text) if lowered.endswith(".json") else \
        load_toml(text) if lowered.endswith(".toml") else load_yaml(text)
    return parsed.data


def _values(data: Any) -> Iterator[tuple[str, str]]:
    """(key, string value) pairs of a nested configuration, at most MAX_VALUES of them."""
    stack: list[tuple[str, Any]] = [("", data)]
    seen = 0
    while stack and seen < MAX_VALUES:
        key, value = stack.pop()
        seen += 1
        if isinstance(value, dict):
            stack += [(str(k), v) for k, v in reversed(list(value.items()))]
        elif isinstance(value, list):
            stack += [(key, v) for v in reversed(value)]
        elif isinstance(value, str) and key and value.strip():
            yield key, value.strip()
