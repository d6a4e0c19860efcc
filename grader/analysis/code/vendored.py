"""Copies of other projects inside a submission (vendored code), found with the reason, so that `code.*` grades
only the group's own code and says what it left out.

Signals, each a class of real hand-ins: a folder with its own licence file; a file whose header carries another
author's licence; a package folder named like a well-known distribution's top-level module; files identical to
an installed distribution's files (when the sandbox found them); a folder named `third_party`, `vendor`...
(never read at all). A root LICENSE naming someone else years before the graded commit is reported, not
excluded: which of the files are the group's cannot be told from the tree.
"""

from __future__ import annotations

import base64
import hashlib
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from grader.analysis.env.importnames import DIST_TO_IMPORTS
from grader.files import DEFAULT_EXCLUDED_DIRS, SubmissionTree
from grader.models import Submission

_LICENSE_FILE = re.compile(r"^(?:licen[cs]e|copying|unlicense)(?:[._-][\w.-]*)?$", re.IGNORECASE)
#: The words of the common licence grants (MIT, BSD, Apache, GPL/LGPL, MPL) and SPDX tags.
_GRANT = re.compile(r"Permission is hereby granted|Redistribution and use in source|Licensed under the Apache|"
                    r"GNU (?:Lesser |Library )?General Public License|Mozilla Public License|SPDX-License-Identifier",
                    re.IGNORECASE)
_COPYRIGHT = re.compile(r"copyright\s*(?:\(c\)|©)?\s*((?:\d{4}\s*[-,–]?\s*)*)\s*(?:by\s+)?([^\n]{2,80})",
                        re.IGNORECASE)
#: Folder names that are well-known distributions' modules but also everyday words for a group's own folders.
_GENERIC_NAMES = frozenset({
    "datasets", "evaluate", "art", "community", "future", "past", "builtins", "git", "docker", "serial", "usb",
    "magic", "multipart", "google", "tables", "dash", "ray", "markdown", "click", "rich", "requests", "six",
    "wget", "attr", "attrs", "jwt", "ffmpeg", "umap", "official", "augment", "midi", "lightning", "dac",
    "crepe", "vggish", "whisper", "demucs", "encodec", "accelerate", "peft", "networkx", "mido", "docx", "pptx",
})
#: Files smaller than this are not compared with installed files: empty `__init__.py` files are all alike.
_MIN_COMPARED_BYTES = 512
#: Most .py files compared with installed files (a hand-in has tens; the request to the sandbox stays small).
MAX_COMPARED_FILES = 2000
_VENDOR_DIRS = frozenset({"third_party", "third-party", "thirdparty", "vendor", "vendored", "external"})
_MAX_WALKED_DIRS = 5000


@dataclass(frozen=True)
class VendoredPart:
    """A folder or file that is a copy of another project, why we think so, and whether `code.*` leaves it out."""

    path: str
    reason: str
    excluded: bool = True


@dataclass(frozen=True)
class VendoredCode:
    """The vendored parts of one submission."""

    parts: tuple[VendoredPart, ...] = ()

    @property
    def key(self) -> str:
        """A short name for the set of parts left out, so that work on the group's own code is shared between
        callers that leave out the same parts."""
        left_out = "\n".join(sorted(p.path for p in self.parts if p.excluded))
        return hashlib.sha256(left_out.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def excluded(self, rel: str) -> bool:
        """Whether a file lies in (or is) a part left out of the group's own code."""
        return any(p.excluded and (rel == p.path or rel.startswith(p.path + "/")) for p in self.parts)


@dataclass(frozen=True)
class Ownership:
    """Who the group is, to tell its own licence headers from another author's: names, git handles, the owner
    of the repository URL, and when the graded commit was made."""

    names: tuple[str, ...] = ()
    commit_time: datetime | None = None
    #: The submission's files identical to an installed distribution's file: path -> (distribution, its file).
    installed_copies: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def ownership(submission: Submission, installed_copies: Mapping[str, tuple[str, str]] | None = None) -> Ownership:
    """Who the group is, from what the submission carries: members (names, e-mail names, git handles), the owner
    of its repository URL, and the graded commit's time; with the files the sandbox found installed elsewhere."""
    names = [n for m in submission.members for n in (m.name, m.git or "", (m.email or "").split("@")[0]) if n]
    owner = re.match(r"^(?:[a-z][\w+.-]*://)?(?:[^@/]+@)?[^/:]+[:/]+([^/]+)/", submission.source.strip())
    if owner:
        names.append(owner.group(1))
    return Ownership(tuple(names), submission.commit_time, dict(installed_copies or {}))


def record_digests(tree: SubmissionTree, limit: int = MAX_COMPARED_FILES) -> dict[str, tuple[str, ...]]:
    """The sha256 of the tree's .py files worth comparing with installed files, as a RECORD file writes it
    (urlsafe base64, no padding), each with the files that have it; the first `limit` files in path order."""
    digests: dict[str, tuple[str, ...]] = {}
    for rel in sorted(f for f in tree.files() if f.endswith(".py"))[:limit]:
        try:
            if tree.size(rel) < _MIN_COMPARED_BYTES:
                continue
            raw = hashlib.sha256(tree.read_bytes(rel)).digest()
        except (OSError, ValueError):
            continue
        digest = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        digests[digest] = (*digests.get(digest, ()), rel)
    return digests


def vendored_code(tree: SubmissionTree, owners: Ownership | None = None) -> VendoredCode:
    """The vendored parts of the tree; computed once per tree and set of installed copies (for the rest, the first
    caller's `owners` decide)."""
    copies = sorted((owners or Ownership()).installed_copies.items())
    key = "code.vendored" + (f":{hashlib.sha256(repr(copies).encode()).hexdigest()[:16]}" if copies else "")
    return tree.memo(key, lambda: find_vendored(tree, owners or Ownership()))


def find_vendored(tree: SubmissionTree, owners: Ownership) -> VendoredCode:
    """Every vendored part, outermost first; a part inside another one is not listed again."""
    files = tree.files()
    python = [f for f in files if f.endswith(".py")]
    found = [*_skipped_by_name(tree), *_licensed_folders(tree, files, python),
             *_distribution_folders(files), *_installed_copies(python, owners.installed_copies)]
    found += _licence_headers(tree, python, owners, VendoredCode(tuple(found)))
    root = _root_licence(tree, files, owners)
    parts: list[VendoredPart] = [] if root is None else [root]
    for part in sorted(found, key=lambda p: (p.path.count("/"), p.path)):
        if not VendoredCode(tuple(parts)).excluded(part.path):
            parts.append(part)
    return VendoredCode(tuple(parts))


def _skipped_by_name(tree: SubmissionTree) -> list[VendoredPart]:
    """Folders the file listing never enters because of their name (third_party...), so the report says so."""
    found: list[VendoredPart] = []
    walked = 0
    stack = [""]
    while stack and walked < _MAX_WALKED_DIRS:
        rel = stack.pop()
        walked += 1
        try:
            entries = list(os.scandir(tree.root / rel if rel else tree.root))
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                continue
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.name.lower() in _VENDOR_DIRS:
                found.append(VendoredPart(child, f"a folder named {entry.name!r}: third-party code by convention; "
                                                 "never read"))
            elif entry.name not in DEFAULT_EXCLUDED_DIRS and child.count("/") < 3:
                stack.append(child)
    return found


def _licensed_folders(tree: SubmissionTree, files: list[str], python: list[str]) -> list[VendoredPart]:
    found = []
    for rel in files:
        folder, name = posixpath.split(rel)
        if not folder or not _LICENSE_FILE.match(name):
            continue
        if not any(p.startswith(folder + "/") for p in python):
            continue  # a licence beside data or models, not beside code
        holder = _holder(tree.read_text(rel, 64 * 1024) or "")
        who = f" (copyright {holder[1]})" if holder else ""
        found.append(VendoredPart(folder, f"has its own licence file {name}{who}: a copy of another project"))
    return found


def _distribution_folders(files: list[str]) -> list[VendoredPart]:
    known = {n: dist for dist, names in DIST_TO_IMPORTS.items() for n in names if n not in _GENERIC_NAMES}
    found = []
    for rel in files:
        if not rel.endswith("/__init__.py"):
            continue
        folder = rel.rsplit("/", 1)[0]
        name = folder.rsplit("/", 1)[-1]
        if name in known:
            found.append(VendoredPart(folder, f"a package named {name!r}, the top-level module of the "
                                              f"{known[name]} distribution: a copy of it"))
    return found


def _installed_copies(python: list[str], copies: Mapping[str, tuple[str, str]]) -> list[VendoredPart]:
    return [VendoredPart(rel, f"identical to {copies[rel][1]} of the installed distribution {copies[rel][0]}")
            for rel in python if rel in copies]


def _licence_headers(tree: SubmissionTree, python: list[str], owners: Ownership,
                     already: VendoredCode) -> list[VendoredPart]:
    """Files whose header grants a licence in another author's name; the group's own headers (the same holder on
    most files, or a holder who is one of the group) are not copies."""
    headers: dict[str, str] = {}
    for rel in python:
        if already.excluded(rel):
            continue
        head = (tree.read_text(rel, 2 * 1024 * 1024) or "")[:4000]
        holder = _holder(head) if _GRANT.search(head) else None
        if holder is not None:
            headers[rel] = holder[1]
    counts: dict[str, int] = {}
    for name in headers.values():
        counts[name] = counts.get(name, 0) + 1
    own = [p for p in python if not already.excluded(p)]
    return [VendoredPart(rel, f"its header grants a licence in the name of {name}")
            for rel, name in sorted(headers.items())
            if counts[name] * 2 <= len(own) and not _is_owner(name, owners.names)]


def _root_licence(tree: SubmissionTree, files: list[str], owners: Ownership) -> VendoredPart | None:
    """The root LICENSE when it names someone outside the group, dated two or more years before the graded commit."""
    if owners.commit_time is None or not owners.names:
        return None
    for rel in files:
        if "/" in rel or not _LICENSE_FILE.match(rel):
            continue
        holder = _holder(tree.read_text(rel, 64 * 1024) or "")
        if holder is None or holder[0] is None or _is_owner(holder[1], owners.names):
            continue
        if owners.commit_time.year - holder[0] >= 2:
            return VendoredPart(".", f"the root {rel} names {holder[1]} ({holder[0]}), not the group, "
                                     f"{owners.commit_time.year - holder[0]} years before the graded commit: the "
                                     "repository may be a copy of their project", excluded=False)
    return None


def _holder(text: str) -> tuple[int | None, str] | None:
    """(year, holder) of the first copyright line of a licence text; None when it names nobody."""
    for match in _COPYRIGHT.finditer(text[:8000]):
        holder = re.sub(r"[.,;]?\s*all rights reserved.*$", "", match.group(2), flags=re.IGNORECASE).strip(" .,")
        if not holder or re.fullmatch(r"[\W\d_]*|(?:the\s+)?(?:authors?|contributors?|holders?)\b.*|notice.*",
                                      holder, re.IGNORECASE):
            continue
        years = re.findall(r"\d{4}", match.group(1))
        return (int(years[0]) if years else None), holder
    return None


def _is_owner(holder: str, names: Iterable[str]) -> bool:
    """Whether a copyright holder is one of the group (a name, a handle, the repository's owner), loosely matched."""
    squashed = re.sub(r"[^a-z0-9]", "", holder.lower())
    words = {w for w in re.findall(r"[a-z0-9]+", holder.lower()) if len(w) >= 4}
    for name in names:
        key = re.sub(r"[^a-z0-9]", "", name.lower())
        if len(key) >= 3 and (key in squashed or squashed in key):
            return True
        if words & {w for w in re.findall(r"[a-z0-9]+", name.lower()) if len(w) >= 4}:
            return True
    return False
