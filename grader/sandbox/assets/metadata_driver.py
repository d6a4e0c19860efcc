"""Sandbox driver: what the group's installed environment says about itself, read from its metadata files.

`importlib.metadata.packages_distributions()` (which top-level names each distribution provides), every
distribution's `Requires-Dist` (names only, extras left out) and its version, for the environment of the group's
interpreter; and
which of the submission's .py files (the request's sha256 digests) a distribution's RECORD lists. The
driver runs in the grader's tools environment and only reads metadata files: it asks the group's interpreter for
its sys.path (a child, as every driver starts the group's code) and reads the distributions found there, so the
answer is the one `packages_distributions()` gives inside the group's own Python.
"""

from __future__ import annotations

import collections
import csv
import glob
import importlib.metadata as metadata
import io
import json
import os
import re
import subprocess
import sys
from typing import Any

# The drivers are copied in as loose files; their shared helper sits next to them.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Driver, group_python

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"\bextra\s*==")
#: Most RECORD lines read in all (a large environment has a few hundred thousand).
_MAX_RECORD_LINES = 5_000_000


def canonical(name: str) -> str:
    """The PEP 503 normal form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def group_path(timeout: float) -> tuple[list[str], str | None]:
    """The group's interpreter's sys.path (its .pth files applied), else its virtual environment's site-packages,
    with why the interpreter itself was not asked."""
    argv = [group_python(), "-c", "import json, sys; print(json.dumps(sys.path))"]
    try:
        run = subprocess.run(argv, cwd="/", stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        lines = run.stdout.decode("utf-8", "replace").strip().splitlines()
        path = json.loads(lines[-1]) if run.returncode == 0 and lines else None
        if isinstance(path, list) and all(isinstance(p, str) for p in path):
            return [p for p in path if p and os.path.isdir(p)], None
        why = f"exit {run.returncode}: {run.stderr.decode('utf-8', 'replace').strip()[-200:]}"
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        why = f"{type(exc).__name__}: {exc}"[:200]
    return sorted(glob.glob("/opt/venv/lib/python3*/site-packages")), why


def _top_level(dist: metadata.Distribution) -> set[str]:
    """What packages_distributions() counts for a distribution (Pythons before 3.10 lack the function)."""
    declared = (dist.read_text("top_level.txt") or "").split()
    if declared:
        return set(declared)
    return {f.parts[0] if len(f.parts) > 1 else f.with_suffix("").name for f in dist.files or () if f.suffix == ".py"}


def read(path: list[str]) -> dict[str, Any]:
    """Top-level names to distributions, and each distribution's requirements and version, of the environment on
    `path`."""
    before = sys.path[:]
    sys.path[:] = path
    try:
        dists = list(metadata.distributions())
        provided: dict[str, list[str]] = collections.defaultdict(list)
        if hasattr(metadata, "packages_distributions"):
            provided.update(metadata.packages_distributions())
        else:
            for dist in dists:
                for name in _top_level(dist):
                    provided[name].append(dist.metadata["Name"])
    finally:
        sys.path[:] = before
    requires: dict[str, list[str]] = {}
    versions: dict[str, str] = {}
    for dist in dists:
        name = dist.metadata["Name"]
        if not isinstance(name, str) or not name:
            continue
        version = dist.metadata["Version"]
        if isinstance(version, str) and version:
            # The first on sys.path is the one imported, and the one `importlib.metadata.version()` names.
            versions.setdefault(canonical(name), version)
        needed = []
        for line in dist.requires or ():
            match = _NAME.match(line)
            marker = line.partition(";")[2]
            if match and not _EXTRA.search(marker):
                needed.append(canonical(match.group(1)))
        requires[canonical(name)] = sorted(set(needed))
    installed = set(requires)
    # A requirement whose marker excluded it here is not installed: only installed ones are edges of the graph.
    graph = {dist: [d for d in needed if d in installed] for dist, needed in requires.items()}
    # A broken dist-info has no Name: packages_distributions() lists None for it.
    named = {k: sorted({d for d in v if isinstance(d, str)}) for k, v in provided.items()}
    return {"distributions": {k: v for k, v in named.items() if v}, "requires": graph, "versions": versions}


def record_copies(digests: set[str], path: list[str]) -> dict[str, list[str]]:
    """Which of `digests` (sha256 as RECORD writes it) a distribution's RECORD lists for a .py file: digest ->
    [distribution, file], the shallowest such file first. Distributions installed from a local path are passed
    over: `pip install .` of the group's own project lists the submission's files."""
    found: dict[str, tuple[int, str, str]] = {}
    lines = 0
    for dist in metadata.distributions(path=path) if digests else ():
        if lines > _MAX_RECORD_LINES:
            break
        try:
            name = dist.metadata["Name"]
            if not isinstance(name, str) or not name or _local(dist):
                continue
            for row in csv.reader(io.StringIO(dist.read_text("RECORD") or "")):
                lines += 1
                digest = row[1][7:] if len(row) > 1 and row[1].startswith("sha256=") else ""
                if digest in digests and row[0].endswith(".py"):
                    candidate = (row[0].count("/"), name, row[0])
                    found[digest] = min(found.get(digest, candidate), candidate)
        except Exception:  # a malformed RECORD (a field over csv's limit, bad bytes) says nothing of the others
            continue
    return {digest: [name, file] for digest, (_, name, file) in found.items()}


def _local(dist: metadata.Distribution) -> bool:
    """Whether pip installed the distribution from a local folder or file (its direct_url.json says file:)."""
    try:
        url = json.loads(dist.read_text("direct_url.json") or "{}").get("url")
    except Exception:
        return False
    return isinstance(url, str) and url.startswith("file:")


def main() -> None:
    """Read the environment and sign the answer, or say why it could not be read."""
    driver = Driver()
    path, why = group_path(max(1.0, min(60.0, driver.remaining() / 2)))
    asked = driver.request.get("digests")
    try:
        found = read(path)
        if isinstance(asked, list):
            found["copies"] = record_copies({d for d in asked if isinstance(d, str)}, path)
    except Exception as exc:  # a malformed metadata file of the group's is a result, never a crash of the driver
        driver.finish({"error": f"{type(exc).__name__}: {exc}"[:500]})
        return
    if why is not None:
        found["path_note"] = f"the group's interpreter did not say its sys.path ({why}); read its site-packages"
    driver.finish(found)


if __name__ == "__main__":
    main()
