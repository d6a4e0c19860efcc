"""`grader sandbox ...`: build the Docker sandbox's base image, list and prune its images, remove leftovers."""

from __future__ import annotations

import time
from pathlib import Path

import click

from grader.errors import GraderError
from grader.sandbox.budget import enforce_budget, environment_bytes, grader_images
from grader.sandbox.container import MANAGED_LABEL, cleanup_leftovers
from grader.sandbox.course import COURSE_REPOSITORY
from grader.sandbox.diskwatch import gigabytes
from grader.sandbox.docker_engine import connect
from grader.sandbox.downloads import DownloadCache
from grader.sandbox.engine import Engine, ImageInfo, failure_text
from grader.sandbox.gateway import remove_stale_folders
from grader.sandbox.image import (
    BASE_REPOSITORY,
    KIND_LABEL,
    ROOTFS_REPOSITORY,
    ImageBuildError,
    base_image_tag,
    ensure_base_image,
)
from grader.sandbox.install import ENV_REPOSITORY
from grader.sandbox.policy import size_bytes


@click.group("sandbox")
def sandbox_group() -> None:
    """Build the sandbox's base image, list and prune its images, remove what it left behind."""


def _progress(line: str) -> None:
    click.echo(f"grader: {line}", err=True)


@sandbox_group.command("build")
@click.option("--rebuild", is_flag=True, help="Build the base image again even when it is present.")
@click.option(
    "--registry/--no-registry", default=None,
    help="Build from the public python:3.11-slim image (--registry) or from Debian packages with debootstrap "
    "(--no-registry, needs root); by default the registry is tried first.",
)
def build_command(rebuild: bool, registry: bool | None) -> None:
    """Make the base image the sandbox installs every group's environment into (Python 3.11, libsndfile,
    pytest, nbclient, a non-root user); prints its tag."""
    engine = connect()
    started = time.monotonic()
    try:
        image_id = ensure_base_image(engine, rebuild=rebuild, progress=_progress, registry=registry)
    except ImageBuildError:
        raise
    except Exception as exc:  # an engine failure mid-build: one line for the user, not a traceback
        raise GraderError(f"building the base image failed: {failure_text(exc)}") from exc
    _progress(f"ready in {time.monotonic() - started:.0f} s")
    click.echo(image_id)


@sandbox_group.command("clean")
@click.option("--images", is_flag=True, help="Also remove the cached environment images of graded groups and the "
              "course layers.")
@click.option("--base", is_flag=True, help="Also remove outdated base images (built from older definitions).")
@click.option("--downloads", is_flag=True, help="Also empty the download cache shared by every group's install.")
def clean_command(images: bool, base: bool, downloads: bool) -> None:
    """Remove containers and gateway folders left behind by an interrupted grader (those of a grader still
    running are spared)."""
    engine = connect()
    try:
        _clean(engine, images, base)
    except Exception as exc:  # the engine stopped answering mid-way: one line for the user, not a traceback
        raise GraderError(f"cleaning up failed: {failure_text(exc)}") from exc
    if downloads:
        files, size = DownloadCache().clear()
        click.echo(f"emptied the download cache ({files} file(s), {gigabytes(size)}) at {DownloadCache().root}")


def _clean(engine: Engine, images: bool, base: bool) -> None:
    removed = cleanup_leftovers(engine)
    click.echo(f"removed {removed} leftover container(s)")
    folders = remove_stale_folders()
    if folders:
        click.echo(f"removed {folders} leftover install gateway folder(s)")
    repositories = ([ENV_REPOSITORY, COURSE_REPOSITORY] if images else []) + (
        [BASE_REPOSITORY, ROOTFS_REPOSITORY] if base else [])
    # Untagged images of these kinds are older builds whose tag moved on to a rebuild.
    kinds = ({"install", "course"} if images else set()) | ({"base", "base-build"} if base else set())
    if repositories:
        count = remove_images(engine, repositories, kinds, keep=base_image_tag())
        click.echo(f"removed {count} image(s)")


def remove_images(engine: Engine, repositories: list[str], untagged_kinds: set[str], *, keep: str) -> int:
    """Remove the grader's images in `repositories` (all but the tag `keep`) and its untagged images of
    `untagged_kinds`; returns how many were removed."""
    # Imported root filesystems carry no labels: they are found by name.
    candidates: dict[str, ImageInfo] = {i.id: i for i in engine.images(labels={MANAGED_LABEL: "1"})}
    candidates.update({i.id: i for i in engine.images(repository=ROOTFS_REPOSITORY)})
    count = 0
    for image in candidates.values():
        tags = [t for t in image.tags if t.split(":", 1)[0] in repositories and t != keep]
        untagged = not image.tags and image.labels.get(KIND_LABEL, "") in untagged_kinds
        for ref in tags or ([image.id] if untagged else []):
            try:
                engine.remove_image(ref)
                count += 1
            except Exception as exc:  # an image still used by a container: say so and go on
                _progress(f"could not remove {ref}: {exc}")
    return count


@sandbox_group.command("ls")
def ls_command() -> None:
    """List the grader's images: size on disk (own layers, shared ones counted once), kind, last use."""
    engine = connect()
    try:
        images = grader_images(engine)
    except Exception as exc:  # the engine stopped answering: one line for the user, not a traceback
        raise GraderError(f"listing the images failed: {failure_text(exc)}") from exc
    # OWN: the image's own layers; TOTAL: with the layers it is built on (shared with other images).
    click.echo(f"{'IMAGE':<40} {'KIND':<8} {'OWN':>9} {'TOTAL':>9}  LAST USED")
    for image in sorted(images, key=lambda i: (_KIND_ORDER.get(i.kind, 9), -(i.last_used or 0))):
        name = ", ".join(image.tags) or f"<untagged {image.id.removeprefix('sha256:')[:12]}>"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(image.last_used)) if image.last_used else "-"
        kind = {"install": "env"}.get(image.kind, image.kind)
        click.echo(f"{name:<40} {kind:<8} {gigabytes(image.own_size):>9} {gigabytes(image.size):>9}  {when}"
                   + ("  (in use)" if image.in_use else ""))
    files, size = DownloadCache().size()
    click.echo(f"environments and course layers: {gigabytes(environment_bytes(images))}; "
               f"download cache: {gigabytes(size)} in {files} file(s) at {DownloadCache().root}")


@sandbox_group.command("prune")
@click.option("--budget", default=None, metavar="SIZE", help="Disk to keep the environment images within, e.g. "
              "20g. Default: the rubric's sandbox.image_budget.")
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Rubric whose sandbox.image_budget applies. Default: the bundled course rubric.")
def prune_command(budget: str | None, rubric_path: Path | None) -> None:
    """Remove least recently used environment images (and course layers) beyond the budget; never one in use."""
    if budget is None:
        from grader.rubric import load_rubric

        budget = load_rubric(rubric_path).rubric.sandbox.image_budget
        if budget is None:
            raise GraderError("the rubric sets no sandbox.image_budget; give one with --budget SIZE")
    try:
        limit = size_bytes(budget)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--budget") from None
    engine = connect()
    try:
        removed = enforce_budget(engine, limit, _progress)
    except Exception as exc:  # the engine stopped answering mid-way: one line for the user, not a traceback
        raise GraderError(f"pruning failed: {failure_text(exc)}") from exc
    freed = sum(i.own_size for i in removed)
    click.echo(f"removed {len(removed)} image(s), {gigabytes(freed)}; budget {gigabytes(limit)}")


#: `ls` lists base images first, then course layers, then groups' environments.
_KIND_ORDER = {"base": 0, "rootfs": 1, "course": 2, "install": 3}
