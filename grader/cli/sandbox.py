"""`grader sandbox ...`: build the Docker sandbox's base image and remove what the sandbox left behind."""

from __future__ import annotations

import time

import click

from grader.errors import GraderError
from grader.sandbox.container import MANAGED_LABEL, cleanup_leftovers
from grader.sandbox.docker_engine import connect
from grader.sandbox.engine import Engine, ImageInfo, failure_text
from grader.sandbox.image import (
    BASE_REPOSITORY,
    KIND_LABEL,
    ROOTFS_REPOSITORY,
    ImageBuildError,
    base_image_tag,
    ensure_base_image,
)
from grader.sandbox.install import ENV_REPOSITORY


@click.group("sandbox")
def sandbox_group() -> None:
    """Build the sandbox's base image and remove what it left behind."""


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
@click.option("--images", is_flag=True, help="Also remove the cached environment images of graded groups.")
@click.option("--base", is_flag=True, help="Also remove outdated base images (built from older definitions).")
def clean_command(images: bool, base: bool) -> None:
    """Remove containers left behind by an interrupted grader (those of a grader still running are spared)."""
    engine = connect()
    try:
        _clean(engine, images, base)
    except Exception as exc:  # the engine stopped answering mid-way: one line for the user, not a traceback
        raise GraderError(f"cleaning up failed: {failure_text(exc)}") from exc


def _clean(engine: Engine, images: bool, base: bool) -> None:
    removed = cleanup_leftovers(engine)
    click.echo(f"removed {removed} leftover container(s)")
    repositories = ([ENV_REPOSITORY] if images else []) + ([BASE_REPOSITORY, ROOTFS_REPOSITORY] if base else [])
    # Untagged images of these kinds are older builds whose tag moved on to a rebuild.
    kinds = ({"install"} if images else set()) | ({"base", "base-build"} if base else set())
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
