"""`grader grade --cluster`: the options that send a batch to a Dask cluster; Dask is imported only when used."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.core import ParameterSource

from grader.batch import BatchOptions, BatchProgress, BatchResult
from grader.errors import ConfigError
from grader.roster import Roster
from grader.rubric import LoadedRubric


def address_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--cluster: an empty address (GRADER_CLUSTER= or --cluster '') grades on this machine."""
    return (value or "").strip() or None


def resources_option(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, float]:
    """--resources docker=1 (repeatable; or comma- or space-separated, as `dask worker --resources` takes them)."""
    parsed: dict[str, float] = {}
    for item in (part for value in values for part in value.replace(",", " ").split()):
        name, _, amount = item.partition("=")
        try:
            parsed[name.strip()] = float(amount)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not NAME=NUMBER, e.g. docker=1") from None
        if not name.strip() or parsed[name.strip()] <= 0:
            raise click.BadParameter(f"{item!r}: give a name and an amount above 0, e.g. docker=1")
    return parsed


def cluster_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--cluster and --resources."""
    command = click.option(
        "--resources", "resources", multiple=True, callback=resources_option, metavar="NAME=N",
        help="With --cluster: what each group's task holds on a worker, e.g. docker=1 for workers started "
             "with `dask worker ADDRESS --resources docker=2` (so each runs at most two groups at once).")(command)
    return click.option(
        "--cluster", envvar="GRADER_CLUSTER", default=None, metavar="ADDRESS", callback=address_option,
        help="Grade on a Dask cluster: the scheduler's address, e.g. tcp://lab-1:8786 (or GRADER_CLUSTER; "
             "empty: this machine). One task per group; workers fetch and grade with their own Docker Engine, "
             'this machine writes the files. Needs `pip install "grader[cluster]"`.')(command)


def check_cluster_options(cluster: str | None, resources: dict[str, float]) -> None:
    """Options that mean something on this machine only, or on a cluster only, are refused in the other mode."""
    ctx = click.get_current_context()
    given = {name for name in ("jobs", "workdir") if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT}
    if cluster is None and resources:
        raise click.UsageError("--resources is for --cluster (what each group's task needs from a worker)")
    if cluster is not None and "jobs" in given:
        raise click.UsageError("--jobs counts threads on this machine; with --cluster each worker grades as many "
                               "groups at once as its threads (`dask worker --nthreads`) or --resources allow")
    if cluster is not None and "workdir" in given:
        raise click.UsageError("--workdir is a folder on this machine; with --cluster each worker fetches into "
                               "its own local directory (`dask worker --local-directory`)")


def grade_on_cluster(
    roster: Roster, loaded: LoadedRubric, options: BatchOptions, address: str, resources: dict[str, float],
    static: bool, progress: BatchProgress, notify: Callable[[str], None],
) -> BatchResult:
    """The batch on a Dask cluster; Dask is imported here only."""
    try:
        from grader.cluster import ClusterOptions
        from grader.cluster import grade_on_cluster as grade_remote
    except ImportError as exc:
        if exc.name not in {"dask", "distributed"}:
            raise
        raise ConfigError('--cluster needs Dask, which is not installed: pip install "grader[cluster]"') from None
    return grade_remote(roster, loaded, options, ClusterOptions(address, resources, notify=notify), static=static,
                        progress=progress)
