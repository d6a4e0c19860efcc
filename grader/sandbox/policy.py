"""Sandbox policy: the limits and install settings a rubric (or the command line) sets for running student code."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SandboxPolicy(BaseModel):
    """Limits for every run step and settings for the install phase; validated with the rubric."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: int = Field(600, gt=0, description="wall-clock seconds per run step; the container is killed then")
    install_timeout: int = Field(1200, gt=0, description="wall-clock seconds for installing the environment")
    memory: str = Field("4g", description="memory limit per container, e.g. 512m, 4g")
    cpus: float = Field(2.0, gt=0, description="CPU limit per container")
    pids: int = Field(512, gt=0, description="process / thread limit per container")
    tmpfs_size: str = Field("1g", description="size of the writable /tmp scratch")
    output_limit: int = Field(1_000_000, gt=0, description="bytes of stdout+stderr kept per step (head + tail)")
    install_network: Literal["host", "bridge", "none"] = Field(
        "host", description="network of the install phase; run steps never have a network"
    )
    index_url: str | None = Field(None, description="package index for the install phase (pip --index-url)")
    extra_index_urls: list[str] = Field(default_factory=list, description="extra package indexes")
    ca_bundle: str | None = Field(None, description="CA bundle file on the host, mounted for the install phase")
    wheelhouse: str | None = Field(None, description="folder of wheels on the host for offline installs")
    allow_dockerfile: bool = Field(False, description="build the group's own Dockerfile instead of detecting")
    notebook_cell_timeout: int = Field(300, gt=0, description="seconds per notebook cell")
    smoke: list[str] = Field(default_factory=list, description="smoke commands; override the submission's own")
