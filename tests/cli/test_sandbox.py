"""`grader sandbox build` and `grader sandbox clean` through the command line."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli.sandbox import sandbox_group
from grader.sandbox.engine import Engine

pytestmark = pytest.mark.docker


def test_build_prints_the_present_base_image(engine: Engine) -> None:
    from grader.sandbox.image import ensure_base_image

    image_id = ensure_base_image(engine)
    result = CliRunner().invoke(sandbox_group, ["build"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == image_id
    assert "present" in result.stderr


def test_clean_removes_a_leftover_container(docker_client: Any, engine: Engine) -> None:
    from grader.sandbox.image import ensure_base_image

    image = ensure_base_image(engine)
    # A container of a grader process that no longer exists (pid label of a dead process).
    leftover = docker_client.containers.create(
        image, ["true"], labels={"grader.managed": "1", "grader.pid": "999999999", "grader.host": "gone"}
    )
    try:
        result = CliRunner().invoke(sandbox_group, ["clean"])
        assert result.exit_code == 0, result.output
        assert "leftover container(s)" in result.stdout
        ids = {c.id for c in docker_client.containers.list(all=True, filters={"label": "grader.managed=1"})}
        assert leftover.id not in ids
    finally:
        with contextlib.suppress(Exception):
            leftover.remove(force=True)


def test_remove_images_takes_only_the_named_repositories(docker_client: Any, engine: Engine, tmp_path: Any) -> None:
    from grader.cli.sandbox import remove_images
    from grader.sandbox.image import ensure_base_image

    # A repository of this test's own, so that other cached environments on the machine are left alone.
    repository = f"grader-cleantest-{abs(hash(str(tmp_path))) % 10**8}"
    container = docker_client.containers.create(ensure_base_image(engine), ["true"])
    try:
        for tag in ("old", "current"):
            container.commit(repository=repository, tag=tag, changes=['LABEL grader.managed="1"'])
    finally:
        container.remove(force=True)
    try:
        assert remove_images(engine, [repository], set(), keep=f"{repository}:current") == 1
        tags = {t for image in docker_client.images.list(name=repository) for t in image.tags}
        assert tags == {f"{repository}:current"}
    finally:
        for image in docker_client.images.list(name=repository):
            docker_client.images.remove(image.id, force=True)


def test_ls_lists_kind_sizes_and_last_use(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from grader.sandbox.budget import Lease
    from grader.sandbox.downloads import CACHE_ENV
    from grader.sandbox.image import base_image_tag, ensure_base_image

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    Lease([ensure_base_image(engine)]).release()
    result = CliRunner().invoke(sandbox_group, ["ls"])
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["IMAGE", "KIND", "OWN", "TOTAL", "LAST", "USED"]
    base = next(r for r in rows if r.startswith(base_image_tag()))
    assert base.split()[1] == "base" and "MB" in base and "-" not in base.split("MB")[-1].strip()[:4]
    assert "download cache:" in rows[-1] and str(tmp_path / "cache") in rows[-1]


def test_clean_downloads_empties_the_download_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from grader.sandbox.downloads import CACHE_ENV, DownloadCache

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    with DownloadCache().writing("https://files.example/x.whl", None) as (handle, keep):
        handle.write(b"wheel")
        keep[0] = True
    assert DownloadCache().size() == (1, 5)
    result = CliRunner().invoke(sandbox_group, ["clean", "--downloads"])
    assert result.exit_code == 0, result.output
    assert "emptied the download cache (1 file(s)" in result.stdout
    assert DownloadCache().size() == (0, 0)


def test_prune_keeps_within_a_budget_and_refuses_a_bad_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from grader.sandbox.downloads import CACHE_ENV

    # A cache folder of its own knows no image: nothing of another grader's is touched.
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    result = CliRunner().invoke(sandbox_group, ["prune", "--budget", "0"])
    assert result.exit_code == 0, result.output
    assert "removed 0 image(s)" in result.stdout
    bad = CliRunner().invoke(sandbox_group, ["prune", "--budget", "lots"])
    assert bad.exit_code == 2 and "not a size" in bad.output
