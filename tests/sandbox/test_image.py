"""The base image: tagged by its definition files, built once, holding what the sandbox runs with."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from grader.sandbox.engine import Engine
from grader.sandbox.image import (
    DEFINITION_FILES,
    ImageBuildError,
    IndexSettings,
    base_image_tag,
    definition_hash,
    ensure_base_image,
    sandboxes_dir,
)
from grader.sandbox.policy import SandboxPolicy
from tests.sandbox.test_install import output_of


def test_every_definition_file_changes_the_tag(tmp_path: Path) -> None:
    copy = tmp_path / "sandboxes"
    shutil.copytree(sandboxes_dir(), copy)
    original = definition_hash(copy)
    assert original == definition_hash(sandboxes_dir())
    for name in DEFINITION_FILES:
        path = copy / name
        before = path.read_bytes()
        path.write_bytes(before + b"\n# changed\n")
        assert definition_hash(copy) != original, name
        path.write_bytes(before)
    assert definition_hash(copy) == original
    (copy / "setup-venv.sh").unlink()
    with pytest.raises(ImageBuildError, match=r"setup-venv\.sh"):
        definition_hash(copy)


def test_index_settings_come_from_the_policy_never_the_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "https://host-secret.example/simple")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://host-extra.example/simple")
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    policy = SandboxPolicy(index_url="https://lab.example/simple", extra_index_urls=["https://b.example/simple"],
                           ca_bundle=str(ca), wheelhouse=str(tmp_path))
    settings = IndexSettings.from_policy(policy)
    env = settings.pip_env("/in")
    assert env["PIP_INDEX_URL"] == "https://lab.example/simple"
    assert env["PIP_EXTRA_INDEX_URL"] == "https://b.example/simple"
    assert env["PIP_CERT"] == "/in/ca-bundle.crt"
    assert env["PIP_FIND_LINKS"] == "/in/wheelhouse"
    assert "host-secret" not in repr(env) + repr(settings.pip_args())
    assert IndexSettings.from_policy(SandboxPolicy()).pip_env("/in").get("PIP_INDEX_URL") is None
    # The CA bundle enters the cache key by content: a rotated bundle is a new environment.
    before = settings.fingerprint()
    ca.write_text("-----BEGIN CERTIFICATE-----\nother\n")
    assert settings.fingerprint() != before


@pytest.mark.docker
def test_base_image_holds_the_sandbox_tools(docker_client: Any, base_image: str) -> None:
    image = docker_client.images.get(base_image_tag())
    assert image.id == base_image
    assert image.labels.get("grader.managed") == "1"
    assert not image.attrs["Config"].get("Volumes"), "no build mount may leak into the image"
    script = (
        "id -u; python -c 'import sys; print(sys.version_info[:2])'; "
        # The tools, each where the drivers look for it; none of them in the group's environment.
        "/opt/grader-tools/bin/python -I -c 'import nbclient; print(\"tools-ok\")'; "
        "PYTHONPATH=/opt/grader-pytest python -c 'import pytest; print(\"pytest-ok\")'; "
        "PYTHONPATH=/opt/grader-kernel python -c 'import ipykernel.kernelapp; print(\"kernel-ok\")'; "
        "python -m pip list --format=freeze | cut -d= -f1 | tr '\\n' ' '; echo; "
        "ls /usr/lib/x86_64-linux-gnu/ /usr/lib/aarch64-linux-gnu/ 2>/dev/null | grep -c '^libsndfile.so'; "
        "stat -c %u /opt/venv; stat -c %u /opt/grader-tools; pwd; echo $VIRTUAL_ENV; "
        # sounddevice finds PortAudio this way when imported; its Linux wheels do not bundle it.
        "python -c 'import ctypes.util; print(ctypes.util.find_library(\"portaudio\"))'"
    )
    out = output_of(docker_client, base_image, ["sh", "-c", script]).split("\n")
    assert out[0] == "1000"
    assert out[1] == "(3, 11)"
    assert out[2:5] == ["tools-ok", "pytest-ok", "kernel-ok"]
    assert sorted(out[5].split()) == ["pip", "setuptools"], "the group's environment starts empty"
    assert int(out[6]) >= 1, "libsndfile is installed"
    assert out[7:11] == ["1000", "0", "/work", "/opt/venv"]
    assert out[11].startswith("libportaudio.so"), "import sounddevice needs the PortAudio library"


@pytest.mark.docker
def test_present_base_image_is_reused(engine: Engine, base_image: str) -> None:
    lines: list[str] = []
    assert ensure_base_image(engine, progress=lines.append) == base_image
    assert lines == [f"base image {base_image_tag()} present"]


@pytest.mark.docker
@pytest.mark.slow
def test_dockerfile_path_builds_the_same_tools(
    docker_client: Any, engine: Engine, base_image: str, tmp_path: Path
) -> None:
    """The registry path's Dockerfile, built on the Debian root filesystem standing in for python:3.11-slim
    (no registry here); ffmpeg makes it the slow one (about 90 s)."""
    rootfs = f"grader-rootfs:{definition_hash()}"
    try:
        docker_client.images.get(rootfs)
    except docker.errors.ImageNotFound:  # built through the registry path: no root filesystem to stand in
        pytest.skip("the base image was built from a registry image; no Debian root filesystem here")
    copy = tmp_path / "sandboxes"
    shutil.copytree(sandboxes_dir(), copy)
    with (copy / "requirements-base.txt").open("a") as handle:
        # A fresh token, not tmp_path.name: two test sessions on one engine would share the tag and the build.
        handle.write(f"# test build {secrets.token_hex(8)}\n")
    lines: list[str] = []
    image_id = ensure_base_image(engine, definitions=copy, registry=True, public_base=rootfs,
                                 progress=lines.append)
    try:
        assert any(line.startswith("Step ") for line in lines)
        script = "id -u; PYTHONPATH=/opt/grader-pytest python -m pytest --version; ffmpeg -version | head -1"
        out = output_of(docker_client, image_id, ["sh", "-c", script + " 2>&1"])
        assert out.split()[0] == "1000"
        assert "pytest" in out
        assert "ffmpeg version" in out
    finally:
        docker_client.images.remove(image_id, force=True)
