"""Sandbox policy: the limits and install settings a rubric (or the command line) sets for running student code."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def size_bytes(text: str) -> int:
    """Bytes in a size such as 512m, 30g, 1.5t or 1048576 (binary units, as Docker reads them)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size; write a number with k, m, g or t, e.g. 30g")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


#: A memory limit as Docker reads it (docker-py's parse_bytes: a number, then b, k, m or g).
_MEMORY = re.compile(r"^\s*\d+(?:\.\d+)?\s*[bkmg]?\s*$", re.IGNORECASE)
#: Docker refuses a memory limit under 6 MiB.
_MIN_MEMORY = 6 * 1024**2


def memory_limit(text: str) -> str:
    """A container memory limit Docker accepts (512m, 4g, 2.5g); anything else is refused when the rubric or the
    command line is read, not when the first container starts."""
    if _MEMORY.match(text) is None:
        raise ValueError(f"{text!r} is not a memory size; write a number with k, m or g, e.g. 4g")
    if size_bytes(text) < _MIN_MEMORY:
        raise ValueError(f"{text!r} is under the 6m Docker allows a container; give at least 512m")
    return text.strip()


def _size(value: str | None) -> str | None:
    if value is not None:
        size_bytes(value)
    return value


class SandboxPolicy(BaseModel):
    """Limits for every run step and settings for the install phase; validated with the rubric."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: int = Field(600, gt=0, description="wall-clock seconds per run step; the container is killed then")
    install_timeout: int = Field(1200, gt=0, description="wall-clock seconds for installing the environment")
    memory: str = Field("4g", description="memory limit per container, e.g. 512m, 4g")
    cpus: float = Field(2.0, gt=0, description="CPU limit per container")
    pids: int = Field(512, gt=0, description="process / thread limit per container")
    tmpfs_size: str = Field("1g", pattern=r"^[1-9][0-9]*[kmg]?$", description="size of the writable /tmp scratch")
    output_limit: int = Field(1_000_000, gt=0, description="bytes of stdout+stderr kept per step (head + tail)")
    install_network: Literal["proxy", "host", "bridge", "none"] = Field(
        "proxy",
        description="network of the install phase: proxy (no network; only the package indexes, through the "
        "grader's own proxy and download cache), host or bridge (direct, reaching the host's own services), none "
        "(wheelhouse only); run steps never have a network",
    )
    index_url: str | None = Field(None, description="package index for the install phase (pip --index-url)")
    extra_index_urls: list[str] = Field(default_factory=list, description="extra package indexes")
    ca_bundle: str | None = Field(None, description="CA bundle file on the host, mounted for the install phase")
    wheelhouse: str | None = Field(None, description="folder of wheels on the host for offline installs")
    allow_dockerfile: bool = Field(False, description="build the group's own Dockerfile instead of detecting")
    notebook_cell_timeout: int = Field(300, gt=0, description="seconds per notebook cell")
    smoke: list[str] = Field(default_factory=list, description="smoke commands; override the submission's own")

    # -- Run steps: what they may write and how long they may take together, and the data the lecturer provides.
    work_size: str = Field(
        "2g", pattern=r"^[1-9][0-9]*[kmg]?$",
        description="what a run step may write into its working copy, on top of the copy itself (a tmpfs: it "
        "counts against `memory`)",
    )
    max_smoke_commands: int = Field(5, gt=0, description="smoke commands run at most; the rest are reported, not run")
    max_readme_commands: int = Field(
        10, gt=0, description="README commands run at most (run.readme); the rest are reported, not run"
    )
    readme_timeout: int = Field(
        120, gt=0, description="seconds one README command may run; one still running then without an error has "
        "started cleanly"
    )
    readme_brief_timeout: int = Field(
        30, gt=0, description="seconds a training run or server the README starts may run; it is judged by whether "
        "it started cleanly"
    )
    run_budget: int = Field(
        1800, gt=0, description="wall-clock seconds for all run steps of one submission together (not the install)"
    )
    data: dict[str, str] = Field(
        default_factory=dict,
        description="data the lecturer provides, mounted read-only into every run step: path inside the working "
        "copy (e.g. dataset) -> host folder (absolute, or relative to where grader runs); a roster entry's `data` "
        "overrides it per group",
    )

    @field_validator("data")
    @classmethod
    def _data_folders(cls, value: dict[str, str]) -> dict[str, str]:
        return {data_target(target): data_source(source) for target, source in value.items()}

    # -- install phase and images (issue 9 items 1, 2, 3, 6, 7; issue 14 item 1) ---------------------------------
    install_disk: str = Field(
        "30g", description="disk the install of one environment may use (pip's scratch and the installed "
        "packages, on the engine's data root); a torch + CUDA stack needs about 12g while installing",
    )
    disk_reserve: str = Field(
        "5g", description="free space kept on the engine's data root: no install starts below it, and an "
        "install is stopped when the disk falls below it",
    )
    install_hosts: list[str] = Field(
        default_factory=list, description="hosts (host or host:port) the install phase may reach besides the "
        "package indexes, e.g. download.pytorch.org for groups that name PyTorch's own index",
    )
    preinstall: list[str] | str = Field(
        default_factory=list, description="the course layer: requirement lines, or a requirements file (relative "
        "to the rubric), installed once into a course image that every group's environment installs on top of",
    )
    follow_python: bool = Field(
        True, description="build a base image of the Python version a group declares (runtime.txt, "
        ".python-version, requires-python...) where a registry can be reached",
    )
    image_budget: str | None = Field(
        "40g", description="disk for the grader's environment images; least recently used images are removed "
        "when over it (never one in use); null for no budget",
    )

    @field_validator("memory")
    @classmethod
    def _memory(cls, value: str) -> str:
        return memory_limit(value)

    @field_validator("install_disk", "disk_reserve", "image_budget")
    @classmethod
    def _sizes(cls, value: str | None) -> str | None:
        return _size(value)

    @field_validator("install_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", host):
                raise ValueError(f"{host!r} is not a host name or host:port")
        return value

    def with_paths_from(self, folder: Path) -> SandboxPolicy:
        """This policy with a `preinstall` file resolved against `folder` (the rubric's own); ValueError when that
        file is missing, so a typo stops the grader before anything is cloned."""
        if not isinstance(self.preinstall, str):
            return self
        path = Path(self.preinstall).expanduser()
        path = path if path.is_absolute() else (folder / path).resolve()
        if not path.is_file():
            raise ValueError(f"sandbox.preinstall: no requirements file {path}; give requirement lines or a file")
        return self.model_copy(update={"preinstall": str(path)})


def data_target(target: str) -> str:
    """A data path inside the working copy, normalised; ValueError when it could leave the copy."""
    normal = posixpath.normpath(target.strip().replace("\\", "/")).strip("/")
    if not target.strip() or normal in {"", "."} or normal.startswith("..") or posixpath.isabs(target.strip()):
        raise ValueError(f"data path {target!r} must be a folder inside the working copy, e.g. 'dataset'")
    if normal.split("/")[0] in {".git", ".grader"}:
        raise ValueError(f"data path {target!r} may not be inside {normal.split('/')[0]}/")
    return normal


def data_source(source: str, base: Path | None = None) -> str:
    """A host folder of data as an absolute path (relative ones against `base`, else the current folder)."""
    path = Path(source).expanduser()
    path = path if path.is_absolute() else (base or Path.cwd()) / path
    if not path.is_dir():
        raise ValueError(f"data folder {source!r} does not exist (or is not a folder): {path}")
    return str(path.resolve())
