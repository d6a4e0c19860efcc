"""The grader's images on disk: what each one costs, when it was last used, and a budget kept by removing the
least recently used environment images first.

The budget manages the images this grader (its cache folder) has used; `grader sandbox ls` shows every image of
the grader's on the engine. Docker reports an image's size with its parents' layers; a group's image on the
course layer shares those, so an image's own cost here is its size minus its parent's. Last use and leases live
in a shared record (records.py): a grader holds a lease on every image it grades with, from the install until
the last run step, and an image leased by a live grader process is never removed, nor one another image is built
on, nor one a container uses.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass

from grader.models import Progress, no_progress
from grader.sandbox.container import MANAGED_LABEL, OWNER_HOST_LABEL, OWNER_PID_LABEL
from grader.sandbox.diskwatch import gigabytes
from grader.sandbox.engine import Engine, ImageInfo, failure_text
from grader.sandbox.image import KIND_LABEL, ROOTFS_REPOSITORY
from grader.sandbox.records import updating

#: Image kinds the budget may remove: groups' environments and course layers (never a base image).
EVICTABLE = frozenset({"install", "course"})
_USE = "image-use"


@dataclass(frozen=True)
class GraderImage:
    """One of the grader's images with its cost on disk and its last use."""

    id: str
    tags: tuple[str, ...]
    kind: str
    #: Bytes of its own layers (its size minus its parent's when the parent is one of the grader's images).
    own_size: int
    size: int
    parent: str
    #: Seconds since the epoch; None when this grader (its cache folder) has no record of using it, which
    #: leaves the image to whoever made it: the budget only removes images it has records of.
    last_used: float | None
    in_use: bool


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _live(holder: str) -> bool:
    """Whether the grader process `host:pid` still runs (one on another machine is taken to)."""
    host, _, pid = holder.rpartition(":")
    if not host or not pid.isdigit():
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Lease:
    """This process's hold on an image, from the install until the last run step; `release` when done."""

    def __init__(self, image_ids: Iterable[str]) -> None:
        self.image_ids = tuple(dict.fromkeys(i for i in image_ids if i))
        self._released = False
        with updating(_USE) as use:
            for image_id in self.image_ids:
                entry = use.setdefault(image_id, {})
                entry["last_used"] = time.time()
                leases = entry.setdefault("leases", {})
                leases[_holder()] = int(leases.get(_holder(), 0)) + 1

    def release(self) -> None:
        """Give the hold up (once; later calls do nothing) and note the time of use."""
        if self._released:
            return
        self._released = True
        with updating(_USE) as use:
            for image_id in self.image_ids:
                entry = use.setdefault(image_id, {})
                entry["last_used"] = time.time()
                leases = entry.setdefault("leases", {})
                count = int(leases.get(_holder(), 1)) - 1
                if count > 0:
                    leases[_holder()] = count
                else:
                    leases.pop(_holder(), None)


def grader_images(engine: Engine) -> list[GraderImage]:
    """Every image of the grader's (base, course layers, environments, imported root filesystems)."""
    found: dict[str, ImageInfo] = {i.id: i for i in engine.images(labels={MANAGED_LABEL: "1"})}
    found.update({i.id: i for i in engine.images(repository=ROOTFS_REPOSITORY)})
    with updating(_USE) as use:
        # Records of images that are gone are dropped here, so the record stays as small as the store.
        for stale in set(use) - set(found):
            del use[stale]
        snapshot = {k: dict(v) for k, v in use.items() if isinstance(v, dict)}
    rows = []
    for image in found.values():
        parent = found.get(image.parent)
        entry = snapshot.get(image.id, {})
        leases = entry.get("leases") or {}
        last = entry.get("last_used")
        kind = image.labels.get(KIND_LABEL) or ("rootfs" if any(t.startswith(ROOTFS_REPOSITORY) for t in image.tags)
                                                else "other")
        # Another grader that made it and still runs (a batch between install and run steps) counts as a use:
        # its lease may sit in another user's record. This process's own uses are its leases, exactly.
        maker = f"{image.labels.get(OWNER_HOST_LABEL, '')}:{image.labels.get(OWNER_PID_LABEL, '')}"
        maker = "" if maker == _holder() else maker
        rows.append(GraderImage(
            image.id, image.tags, kind, max(0, image.size - parent.size) if parent else image.size, image.size,
            image.parent, float(last) if isinstance(last, int | float) else None,
            any(_live(holder) for holder in leases) or (kind in EVICTABLE and _live(maker)),
        ))
    return sorted(rows, key=lambda r: (r.last_used or 0.0, r.id))


def environment_bytes(images: Iterable[GraderImage]) -> int:
    """Disk held by the images the budget counts (environments and course layers)."""
    return sum(i.own_size for i in images if i.kind in EVICTABLE)


def enforce_budget(
    engine: Engine, budget: int, progress: Progress = no_progress, *, scope: set[str] | None = None
) -> list[GraderImage]:
    """Remove least recently used environment images until those left fit in `budget` bytes; returns what was
    removed. Only images this grader has used count (another user's images on a shared engine are theirs).
    Spared: images leased by a live grader or made by another one still running, images another image is built
    on, images a container uses. `scope` limits it all further to those image ids."""
    images = [i for i in grader_images(engine) if i.last_used is not None and (scope is None or i.id in scope)]
    total = environment_bytes(images)
    removed: list[GraderImage] = []
    while total > budget:
        parents = {i.parent for i in images}
        candidates = [i for i in images if i.kind in EVICTABLE and not i.in_use and i.id not in parents]
        if not candidates:
            progress(f"images over the budget ({gigabytes(total)} of {gigabytes(budget)}) but all are in use")
            break
        victim = candidates[0]
        try:
            # Not forced: the engine refuses while a container (of any grader) still uses the image.
            engine.remove_image(victim.id, force=False)
        except Exception as exc:  # in use after all, or already gone: spare it and go on
            progress(f"could not remove {', '.join(victim.tags) or victim.id[:19]}: {failure_text(exc)}")
            images = [i for i in images if i.id != victim.id]
            continue
        progress(f"removed {', '.join(victim.tags) or victim.id[:19]} ({gigabytes(victim.own_size)}, least "
                 "recently used) to keep the images within the budget")
        removed.append(victim)
        images = [i for i in images if i.id != victim.id]
        total -= victim.own_size
    return removed
