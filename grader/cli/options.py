"""Options and helpers shared by the grading commands (check, grade): rubric, formats, output, sandbox limits."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from grader.checks.base import Phase
from grader.engine import SandboxRunner
from grader.report import FILE_FORMATS, FORMATS, SCREEN_FORMAT
from grader.rubric import LoadedRubric, load_rubric
from grader.sandbox.policy import size_bytes

F = Callable[..., Any]


def rubric_option(f: F) -> F:
    """--rubric FILE."""
    return click.option(
        "--rubric", "rubric_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
        help="Rubric YAML file. Default: the bundled course rubric (rubrics/dl4ad.yaml).",
    )(f)


def format_option(f: F, default_text: str = "terminal (and every file format with -o)") -> F:
    """--format (repeatable)."""
    return click.option(
        "--format", "formats", multiple=True, type=click.Choice(list(FORMATS)),
        help=f"Report format; repeat for several. Default: {default_text}.",
    )(f)


def batch_format_option(f: F) -> F:
    """--format for `grader grade`, whose default is every file format."""
    return format_option(f, "json, md, html and junit files per group")


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
        update["memory"] = memory
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


def resolve_formats(formats: tuple[str, ...], output: Path | None) -> list[str]:
    """Formats asked for; by default terminal, plus every file format when an output folder is given."""
    if formats:
        return list(dict.fromkeys(formats))
    return [SCREEN_FORMAT, *FILE_FORMATS] if output else [SCREEN_FORMAT]


def progress_printer(quiet: bool) -> Callable[[str], None]:
    """A progress callback writing plain lines to stderr (nothing when quiet)."""

    def report(stage: str) -> None:
        if not quiet:
            click.echo(f"grader: {stage}…", err=True)

    return report
