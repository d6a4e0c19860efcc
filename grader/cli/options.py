"""Options and helpers shared by the grading commands (check, grade): rubric, formats, output, sandbox limits."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from grader.checks.base import Phase
from grader.engine import SandboxRunner
from grader.report import FORMATS, SCREEN_FORMATS
from grader.rubric import LoadedRubric, load_rubric
from grader.sandbox.policy import memory_limit, size_bytes

F = Callable[..., Any]


def rubric_option(f: F) -> F:
    """--rubric FILE."""
    return click.option(
        "--rubric", "rubric_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
        help="Rubric YAML file. Default: the bundled course rubric (rubrics/dl4ad.yaml).",
    )(f)


def format_option(f: F) -> F:
    """--format (repeatable): one screen format on stdout, file formats into -o DIR."""
    screen = ", ".join(SCREEN_FORMATS)
    files = ", ".join(name for name in FORMATS if name not in SCREEN_FORMATS)
    return click.option(
        "--format", "formats", multiple=True, type=click.Choice(list(FORMATS)), metavar="FORMAT",
        help=f"Report format, repeatable: {screen} print on stdout (one of them); {files} are written as one "
             "file each into -o DIR (without -o, the single format asked prints). Default: terminal, plus json, "
             "md, html and junit with -o.",
    )(f)


def batch_format_option(f: F) -> F:
    """--format for `grader grade`: file formats only (each group's reports are files)."""
    files = [name for name in FORMATS if name not in SCREEN_FORMATS]
    return click.option(
        "--format", "formats", multiple=True, type=click.Choice(files), metavar="FORMAT",
        help=f"Report file per group; repeat for several ({', '.join(files)}). Default: json, md, html and junit.",
    )(f)


def sandbox_options(f: F) -> F:
    """--static, --timeout, --memory, --image-budget."""
    f = click.option("--image-budget", default=None, metavar="SIZE",
                     help="Disk for the sandbox's environment images, e.g. 40g (least recently used ones are "
                     "removed beyond it, never one in use; 'none' for no budget). Default: the rubric's.")(f)
    f = click.option("--memory", default=None, metavar="SIZE", help="Memory limit per sandbox step, e.g. 2g.")(f)
    f = click.option("--timeout", type=click.IntRange(min=1), default=None, metavar="SECONDS",
                     help="Wall-clock limit per sandbox step (the container is killed then).")(f)
    return click.option(
        "--static", is_flag=True,
        help="Skip the Docker sandbox: static checks only (seconds, no Docker needed); run.* checks are skipped.",
    )(f)


def load_rubric_with_overrides(
    path: Path | None, timeout: int | None, memory: str | None, image_budget: str | None = None
) -> LoadedRubric:
    """The rubric, with the sandbox limits given on the command line applied over its own."""
    loaded = load_rubric(path)
    update: dict[str, Any] = {}
    if timeout is not None:
        update["timeout"] = timeout
    if memory is not None:
        try:
            update["memory"] = memory_limit(memory)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--memory") from None
    if image_budget is not None:
        update["image_budget"] = _budget(image_budget)
    if not update:
        return loaded
    policy = loaded.rubric.sandbox.model_copy(update=update)
    return LoadedRubric(loaded.rubric.model_copy(update={"sandbox": policy}), loaded.path)


def _budget(text: str) -> str | None:
    """--image-budget's value: a size, or none."""
    if text.strip().lower() in {"none", "off", "0"}:
        return None
    try:
        size_bytes(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--image-budget") from None
    return text


def sandbox_runner(loaded: LoadedRubric) -> SandboxRunner | None:
    """The Docker runner, loaded only when the rubric has runtime checks (so --static never touches Docker)."""
    if not any(ref.instantiate().phase is Phase.RUNTIME for _, ref in loaded.rubric.check_refs()):
        return None
    from grader.sandbox.runner import run_sandbox

    runner: SandboxRunner = run_sandbox
    return runner


def use_color(stream: Any = None) -> bool:
    """Colour only on a terminal and when NO_COLOR is not set."""
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _deadline(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """--deadline: an ISO 8601 time with its offset (a naive time would be ambiguous across time zones)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time, e.g. 2026-03-31T23:59:00+02:00") from None
    if parsed.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone; add one, e.g. 2026-03-31T23:59:00+02:00")
    return parsed


def deadline_option(help_text: str) -> Callable[[F], F]:
    """--deadline ISO-TIME, with the command's own help."""
    return click.option("--deadline", callback=_deadline, default=None, metavar="ISO-TIME", help=help_text)
