"""Where a group's task should run: on a worker whose Docker Engine already holds the group's environment.

Installing a deep-learning stack takes minutes and gigabytes, so a group goes back to the engine that built
its environment. Before a group is graded, its cache key is known only from its last report (run.build's
`cache_key`); a worker lists the keys its engine holds when it becomes ready. A preference is soft: Dask
places the task next to a small anchor kept on the preferred worker, and may still run it elsewhere (an
idle worker stealing work, or the preferred worker gone), which then builds the environment itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence


def prefer_workers(keys: Mapping[str, str | None], holdings: Mapping[str, Collection[str]]) -> dict[str, str]:
    """Group id -> preferred worker, from each group's last cache key and the keys each ready worker holds.

    A key some workers hold goes to the holder with the fewest groups preferred so far; a key no worker holds
    but several groups share goes to one worker for all of them (so it is built once); other groups have no
    preference. Ties go to the first worker by name, so the same inputs give the same placement.
    """
    workers = sorted(holdings)
    if not workers:
        return {}
    shared = Counter(key for key in keys.values() if key)
    load: Counter[str] = Counter()
    chosen: dict[str, str] = {}  # cache key -> worker, for keys no worker held
    preferred: dict[str, str] = {}
    for group, key in keys.items():
        if not key:
            continue
        holders = [w for w in workers if key in holdings[w]]
        if holders:
            worker = min(holders, key=lambda w: (load[w], workers.index(w)))
        elif shared[key] > 1:
            worker = chosen.setdefault(key, min(workers, key=lambda w: (load[w], workers.index(w))))
        else:
            continue
        preferred[group] = worker
        load[worker] += 1
    return preferred


def next_group(unsent: Sequence[str], preferred: Mapping[str, str], free: str | None) -> str:
    """The group to send when a slot frees on worker `free`: the first one (in roster order) that prefers that
    worker, else the first that prefers none, else the first; so a free worker gets work it is best placed for
    rather than a group that would wait for another worker."""
    return next((g for g in unsent if free is not None and preferred.get(g) == free), None) \
        or next((g for g in unsent if g not in preferred), None) \
        or unsent[0]
