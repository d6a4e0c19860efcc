"""What a notebook reached for that the sandbox does not have: the network (`!wget`, `!git clone`, a download in
Python, a `!pip install` the install phase could not satisfy) and Colab's Google Drive.

Run steps have no network, by policy. A notebook written for Colab downloads its data in one cell and reads it in a
later one; in the sandbox the download prints an error (a `!` line never stops the notebook) and the read fails.
Said plainly with the cell that reached for it, such a failure reads as what it is, not as a bug in the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.analysis.code.source import SourceUnit
from grader.analysis.env.importnames import provides
from grader.analysis.env.pip import install_command_requirements

#: Shell commands that fetch over the network.
_DOWNLOAD = re.compile(
    r"^\s*(?:sudo\s+)?(?:wget|curl|aria2c|gdown|git\s+clone|git\s+lfs\s+pull|svn\s+(?:checkout|co)|dvc\s+pull"
    r"|kaggle\s+(?:datasets|competitions)\s+download|huggingface-cli\s+download|yt-dlp|youtube-dl|zenodo_get"
    r"|apt(?:-get)?\s+(?:-\S+\s+)*install)\b")
_PIP = re.compile(r"^\s*(?:\S*python3?\s+-m\s+)?(?:pip3?|conda|mamba|uv\s+pip)\s+install\b")
#: Python calls that fetch over the network, and Colab's Drive.
_FETCH = re.compile(
    r"\burlretrieve\s*\(|\burlopen\s*\(|\brequests\.get\s*\(|\bgdown\.download\s*\(|\bwget\.download\s*\("
    r"|\btorch\.hub\.load|\bhf_hub_download\s*\(|\bsnapshot_download\s*\(|\bkagglehub\.|\bload_dataset\s*\("
    r"|\bdownload\s*=\s*True\b")
_DRIVE = re.compile(r"\bdrive\.mount\s*\(")
#: How an error says the network is missing (socket, urllib, requests, Hugging Face offline).
_NO_NETWORK = re.compile(
    r"Temporary failure in name resolution|Name or service not known|Network is unreachable|No route to host"
    r"|Failed to establish a new connection|Could not resolve host|getaddrinfo failed|\bgaierror\b|\bURLError\b"
    r"|\bConnectionError\b|\bMaxRetryError\b|LocalEntryNotFoundError|HF_HUB_OFFLINE|offline mode", re.IGNORECASE)
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_NO_FILE = re.compile(r"FileNotFoundError|No such file or directory|does not exist", re.IGNORECASE)


@dataclass(frozen=True)
class Reach:
    """One place a notebook reaches outside the sandbox: its cell (1-based, as the notebook step counts) and what."""

    cell: int
    kind: str  # "download", "pip", "fetch" or "drive"
    text: str


def reaches(unit: SourceUnit) -> list[Reach]:
    """Every cell of a notebook that downloads, installs, fetches in Python or mounts Google Drive, in order."""
    found = [Reach(s.cell + 1, "pip" if _PIP.match(s.command) else "download", s.command.strip())
             for s in unit.shell if _PIP.match(s.command) or _DOWNLOAD.match(s.command)]
    for number, line in enumerate(unit.code.splitlines(), 1):
        kind = "drive" if _DRIVE.search(line) else ("fetch" if _FETCH.search(line) else None)
        if kind is not None and 0 < number <= len(unit.cell_of_line):
            found.append(Reach(unit.cell_of_line[number - 1] + 1, kind, line.strip()))
    return sorted(found, key=lambda r: r.cell)


def offline_cause(unit: SourceUnit, failed_cell: int | None, error: str) -> str | None:
    """Why a notebook that stopped at `failed_cell` with `error` stopped for want of the network or Colab, in words
    naming the cell that reached for it; None when nothing says so."""
    if failed_cell is None:
        return None
    before = [r for r in reaches(unit) if r.cell <= failed_cell]
    at = [r for r in before if r.cell == failed_cell]
    module = _NO_MODULE.search(error)
    if module is not None:
        name = module.group(1)
        if (name.split(".")[0] == "google" and "colab" in name) or any(r.kind == "drive" for r in at):
            drive = next((r for r in before if r.kind == "drive"), None)
            return _say(drive) if drive else f"cell {failed_cell} needs Google Colab, which the sandbox is not"
        pip = next((r for r in reversed(before) if r.kind == "pip" and _installs(r.text, name)), None)
        return _say(pip) if pip is not None else None
    if _NO_NETWORK.search(error):
        nearest = at or before
        return _say(nearest[-1]) if nearest else f"cell {failed_cell} needs a network, which the sandbox does not have"
    if at and at[-1].kind in {"drive", "download", "fetch"}:
        return _say(at[-1])
    if _NO_FILE.search(error):
        fetched = [r for r in before if r.kind in {"drive", "download", "fetch"}]
        return _say(fetched[-1]) if fetched else None
    return None


def _installs(command: str, module: str) -> bool:
    top = module.split(".")[0]
    return any(provides(r.name, top) for r in install_command_requirements(command, "", None))


def _say(reach: Reach) -> str:
    """One sentence: the cell, what it does, and that the sandbox has none of it."""
    shown = reach.text if len(reach.text) <= 100 else reach.text[:97] + "..."
    if reach.kind == "drive":
        return (f"cell {reach.cell} mounts Google Drive (`{shown}`), which exists only in Colab and the sandbox "
                "has no network: read the data from a folder of the repository and say in the README how to get it")
    if reach.kind == "pip":
        return (f"cell {reach.cell} runs `{shown}`, which needs a network the sandbox does not have, and the "
                "install phase could not install it (run.build says why): declare it in your environment file")
    verb = "downloads with" if reach.kind == "download" else "fetches over the network with"
    return (f"cell {reach.cell} {verb} `{shown}`, and the sandbox has no network: say in the README how to get "
            "the data (the lecturer can provide it to the sandbox)")
