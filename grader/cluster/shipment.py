"""A group's report folder across the wire: what the lecturer's machine lends a worker (the files the batch's
resume logic reads) and what the worker sends back (the files its batch wrote or removed).

The worker grades by running the local batch for one group in a scratch folder planted with these files, so
kept reports, regrading and crash records follow exactly the local rules; the lecturer's machine then applies
the worker's changes to OUT/<group> in the order the local batch writes them (the state file last).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.batch import STATE_FILE, TRACEBACK_FILE, GroupOutcome, OutcomeKind
from grader.models import GradeReport
from grader.roster import Group

REPORT_JSON = "report.json"
#: The files of a group's folder that the batch reads back, lent to the worker with their content.
LENT = (STATE_FILE, REPORT_JSON, TRACEBACK_FILE)
#: The batch asks only whether the other report files exist (to render a format newly asked for): the worker
#: gets an empty stand-in for each, which it overwrites when it writes that format.
_REPORT_GLOB = "report.*"


@dataclass(frozen=True)
class GroupSeed:
    """What the worker needs of OUT/<group> to decide as the local batch would: kept, regraded or redone."""

    files: Mapping[str, bytes] = field(default_factory=dict)
    #: Other report files that exist, by name; their content never leaves this machine.
    present: tuple[str, ...] = ()

    @classmethod
    def read(cls, folder: Path) -> GroupSeed:
        """The seed of a group's output folder (empty when the group was never graded here)."""
        files = {}
        for name in LENT:
            path = folder / name
            if path.is_file() and not path.is_symlink():
                files[name] = path.read_bytes()
        present = sorted(p.name for p in folder.glob(_REPORT_GLOB) if p.is_file() and p.name not in files)
        return cls(files, tuple(present))

    def plant(self, folder: Path) -> None:
        """Lay the seed out in an empty scratch folder standing in for OUT/<group>."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            (folder / name).write_bytes(data)
        for name in self.present:
            (folder / name).touch()

    def planted(self) -> dict[str, bytes]:
        """Every file `plant` lays out, with its content."""
        return {**dict.fromkeys(self.present, b""), **self.files}

    def cache_key(self) -> str | None:
        """The environment cache key of the saved report's build, if it names one (placement uses it)."""
        try:
            saved = json.loads(self.files.get(REPORT_JSON, b"").decode("utf-8"))
            build = next(c for c in saved["checks"] if c.get("id") == "run.build")
            key = build["measurements"]["cache_key"]
        except (ValueError, KeyError, TypeError, AttributeError, StopIteration):
            return None
        return key if isinstance(key, str) and key else None


@dataclass(frozen=True)
class GroupShipment:
    """One group graded on a worker: its outcome, and how its output folder changed there."""

    group_id: str
    kind: OutcomeKind
    report: GradeReport
    seconds: float
    worker: str
    #: Files written or changed, by path relative to the group's folder.
    files: Mapping[str, bytes]
    #: Lent files the batch removed (a stale state file, a traceback from an earlier crash).
    removed: tuple[str, ...]
    #: The report files the outcome names (GroupOutcome.files), relative to the group's folder.
    written: tuple[str, ...]

    @classmethod
    def collect(cls, folder: Path, seed: GroupSeed, outcome: GroupOutcome, worker: str) -> GroupShipment:
        """What the worker's batch did to the planted `folder`, for sending back."""
        before = seed.planted()
        now = {
            path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file() and not path.is_symlink()
        }
        return cls(
            group_id=outcome.group.id, kind=outcome.kind, report=outcome.report, seconds=outcome.seconds,
            worker=worker,
            files={rel: data for rel, data in now.items() if before.get(rel) != data},
            removed=tuple(rel for rel in before if rel not in now),
            written=tuple(path.relative_to(folder).as_posix() for path in outcome.files),
        )

    def unpack(self, folder: Path) -> tuple[Path, ...]:
        """Apply the changes to OUT/<group> as the local batch orders them; returns the outcome's files.

        The state file goes first and comes back last, so an interruption in between regrades the group."""
        for rel in sorted(self.removed, key=lambda r: r != STATE_FILE):
            _inside(folder, rel).unlink(missing_ok=True)
        for rel in sorted(self.files, key=lambda r: r == STATE_FILE):
            _write_atomic(_inside(folder, rel), self.files[rel])
        return tuple(_inside(folder, rel) for rel in self.written)

    def outcome(self, group: Group, folder: Path) -> GroupOutcome:
        """Unpack into `folder` (the lecturer's OUT/<group>) and give the batch's outcome for the group."""
        files = self.unpack(folder)
        return GroupOutcome(group, self.kind, self.report, files, self.seconds, worker=self.worker)


def _inside(folder: Path, rel: str) -> Path:
    """`folder / rel` for a relative path that stays inside `folder` (the worker names the files)."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or any(p in {"", ".", ".."} for p in parts):
        raise ValueError(f"a worker named a file outside the group's folder: {rel!r}")
    return folder.joinpath(*parts)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write bytes so that readers see the old or the new file, never half of it (report.write_atomic for bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
