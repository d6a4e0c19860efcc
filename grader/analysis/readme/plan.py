"""The README as a contract: its setup and usage commands, in reading order, as a typed plan for `run.readme`.

The plan only decides; a sandbox step runs it. Its API is three names:

- `readme_run_plan(tree, home)` -> `RunPlan`: every command of the README set, chains split at `&&` and `;`;
- `PlannedCommand`: the command, where it is written, the folder it runs in (after the `cd`s before it), its
  `kind` and the `action` the runner takes, with the reason in words;
- `Action`: `skip` (environment creation and installs: the build did them), `follow` (`cd`, activation,
  `export`: change the state later commands run in), `run`, `run-briefly` (training and servers: run under a
  short limit and judged by whether they started cleanly), `report` (downloads, credentials, GPU-only, data
  that is not in the repository: listed, not run, and never a failure of the code).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from enum import StrEnum

from grader.analysis.readme.commands import is_run_command, is_setup_command
from grader.analysis.readme.docset import readme_set
from grader.analysis.readme.home import RepositoryHome
from grader.files import SubmissionTree


class Action(StrEnum):
    """What the runner does with a command."""

    SKIP = "skip"
    FOLLOW = "follow"
    RUN = "run"
    RUN_BRIEFLY = "run-briefly"
    REPORT = "report"


class CommandKind(StrEnum):
    """What a command is for."""

    ENVIRONMENT = "environment"
    NAVIGATE = "navigate"
    ACTIVATE = "activate"
    VARIABLE = "variable"
    DOWNLOAD = "download"
    CREDENTIALS = "credentials"
    GPU = "gpu"
    NEEDS_DATA = "needs-data"
    TRAINING = "training"
    SERVER = "server"
    RUN = "run"
    OTHER = "other"


@dataclass(frozen=True)
class PlannedCommand:
    """One command of the README set and what to do with it."""

    text: str
    #: The document and line it is written on.
    path: str
    line: int
    kind: CommandKind
    action: Action
    reason: str
    #: The folder it runs in, relative to the checkout's root ("." for the root), after the `cd`s before it.
    cwd: str = "."
    #: Paths it reads that the repository does not have (data sets, checkpoints).
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunPlan:
    """Every command of the README set, in reading order."""

    commands: tuple[PlannedCommand, ...] = ()

    def to_run(self) -> tuple[PlannedCommand, ...]:
        """The commands the runner executes or follows, in order (skipped and reported ones left out)."""
        return tuple(c for c in self.commands if c.action in (Action.RUN, Action.RUN_BRIEFLY, Action.FOLLOW))

    def reported(self) -> tuple[PlannedCommand, ...]:
        """The commands listed for the reader but not run (downloads, credentials, GPU, missing data)."""
        return tuple(c for c in self.commands if c.action is Action.REPORT)


_DOWNLOAD = re.compile(r"^(?:wget|curl|gdown|kaggle\s+(?:datasets|competitions)|aria2c|scp|rsync|aws\s+s3|gsutil|"
                       r"dvc\s+(?:pull|fetch)|git\s+lfs\s+pull|huggingface-cli\s+download|hf\s+download|"
                       r"zenodo_get|youtube-dl|yt-dlp|git\s+clone)\b")
_CREDENTIALS = re.compile(r"^(?:wandb\s+login|huggingface-cli\s+login|hf\s+auth|aws\s+configure|gcloud\s+auth|"
                          r"az\s+login|kaggle\s+config|docker\s+login|export\s+\w*(?:KEY|TOKEN|SECRET|PASSWORD)\w*=)",
                          re.IGNORECASE)
_GPU = re.compile(r"\bnvidia-smi\b|\bCUDA_VISIBLE_DEVICES=|--gpus?\b|--device[= ](?:cuda|gpu)|\bcuda:\d|"
                  r"--nproc_per_node|\baccelerate\s+launch\b|\bdeepspeed\b|\btorchrun\b", re.IGNORECASE)
_SERVER = re.compile(r"^(?:streamlit\s+run|jupyter(?:-lab|\s+lab|\s+notebook)?\b(?!\s+nbconvert)|flask\s+run|"
                     r"uvicorn|gunicorn|tensorboard|gradio|python3?\s+-m\s+http\.server|npm\s+start|yarn\s+start)")
_TRAINING = re.compile(r"(?:^|[\s/])(?:train|fit|finetune|fine_tune|pretrain)\w*\.py\b|\s-m\s+[\w.]*train\b|"
                       r"--(?:epochs?|max_epochs|num_epochs|n_epochs)[= ](?:[2-9]|\d{2,})", re.IGNORECASE)
_ENV_ONLY = re.compile(r"^(?:sudo\s+)?(?:apt(?:-get)?|brew|yum|dnf|pacman|choco|winget|pyenv|nvm)\b")
#: Arguments that name data a command reads: options called like data, and files of data or model formats.
_DATA_FLAG = re.compile(r"^--?(?:data|dataset|data_dir|data-dir|data_path|data-path|input|in|root|ckpt|checkpoint|"
                        r"weights|model_path|model-path|resume|audio|wav|csv|test_dir|train_dir)\w*$", re.IGNORECASE)
_DATA_FILE = re.compile(r"\.(?:wav|flac|mp3|ogg|csv|tsv|h5|hdf5|npy|npz|pkl|pt|pth|ckpt|bin|zip|tar|gz|parquet)$",
                        re.IGNORECASE)


def readme_run_plan(tree: SubmissionTree, home: RepositoryHome | None = None) -> RunPlan:
    """The plan for the README set's commands, in reading order; each chain split into its commands."""
    files = set(tree.files())
    folders = {p for f in files for p in _parents(f)}
    planned: list[PlannedCommand] = []
    cwd = "."
    for command in readme_set(tree, home).commands:
        for part in _split_chain(command.text):
            step = _classify(part, command.path, command.line, cwd, files, folders)
            if step.kind is CommandKind.NAVIGATE and step.action is Action.FOLLOW:
                cwd = step.cwd
            planned.append(step)
    return RunPlan(tuple(planned))


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _split_chain(text: str) -> list[str]:
    """`a && b; c` as its commands (`||` fallbacks stay with their command); quotes respected loosely."""
    parts = re.split(r"\s*(?:&&|;)\s*(?=(?:[^'\"]*['\"][^'\"]*['\"])*[^'\"]*$)", text)
    return [p.strip() for p in parts if p.strip()]


def _classify(text: str, path: str, line: int, cwd: str, files: set[str], folders: set[str]) -> PlannedCommand:
    """Long because it is the classification ladder, most specific first: environment, navigation, variables,
    credentials, downloads, GPU, missing data, servers, training, other runs."""
    bare = re.sub(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+", "", text)

    def planned(kind: CommandKind, action: Action, reason: str, where: str = cwd,
                missing: tuple[str, ...] = ()) -> PlannedCommand:
        return PlannedCommand(text, path, line, kind, action, reason, where, missing)

    if re.match(r"^(?:source|\.)\s+\S*activate\b|^(?:conda|mamba|micromamba|workon|pyenv)\s+activate\b|"
                r"^\S*activate(?:\.bat|\.ps1)?$", bare):
        return planned(CommandKind.ACTIVATE, Action.FOLLOW, "activates an environment: the build's environment is "
                       "active already")
    if re.match(r"^git\s+clone\b", bare):
        return planned(CommandKind.DOWNLOAD, Action.REPORT, "clones a repository: the checkout is already there, "
                       "and other repositories are not fetched")
    if (is_setup_command(bare) and not is_run_command(bare)) or _ENV_ONLY.match(bare):
        return planned(CommandKind.ENVIRONMENT, Action.SKIP, "creates or installs the environment: the build did")
    if bare == "cd" or bare.startswith("cd "):
        return _navigate(text, path, line, cwd, folders)
    if re.match(r"^(?:export|set|setx)\s+\w+=", bare) and not _CREDENTIALS.match(bare):
        return planned(CommandKind.VARIABLE, Action.FOLLOW, "sets a variable for the commands after it")
    if _CREDENTIALS.match(bare):
        return planned(CommandKind.CREDENTIALS, Action.REPORT, "needs the group's credentials: not run")
    if _DOWNLOAD.match(bare):
        return planned(CommandKind.DOWNLOAD, Action.REPORT, "downloads data or code: not run (no network)")
    if _GPU.search(text):
        return planned(CommandKind.GPU, Action.REPORT, "needs a GPU: the sandbox has none")
    missing = _missing_data(bare, cwd, files, folders)
    if missing:
        return planned(CommandKind.NEEDS_DATA, Action.REPORT, f"reads {', '.join(missing[:3])}, which the "
                       "repository does not have: data to download first, not a fault of the code", missing=missing)
    if _SERVER.match(bare):
        return planned(CommandKind.SERVER, Action.RUN_BRIEFLY, "starts a server or notebook: judged by whether it "
                       "starts cleanly within a short limit")
    if _TRAINING.search(bare):
        return planned(CommandKind.TRAINING, Action.RUN_BRIEFLY, "trains a model: run under a short limit and "
                       "judged by whether it starts cleanly")
    if is_run_command(bare) or re.match(r"^(?:mkdir|ls|echo|cat|chmod|python3?|bash|sh|make|pytest)\b", bare):
        return planned(CommandKind.RUN, Action.RUN, "runs the project")
    return planned(CommandKind.OTHER, Action.REPORT, "not a command the grader knows how to run safely")


def _navigate(text: str, path: str, line: int, cwd: str, folders: set[str]) -> PlannedCommand:
    target = text.split(maxsplit=1)[1].strip().strip("'\"") if " " in text.strip() else "~"
    joined = posixpath.normpath(posixpath.join(cwd, target)) if not target.startswith(("/", "~")) else target
    if joined in (".", "") or joined in folders:
        return PlannedCommand(text, path, line, CommandKind.NAVIGATE, Action.FOLLOW, "changes folder", joined or ".")
    if posixpath.basename(target.rstrip("/")) and "/" not in target.strip("/") and cwd == ".":
        # `git clone URL && cd project`: the checkout itself; the commands after it run at its root.
        return PlannedCommand(text, path, line, CommandKind.NAVIGATE, Action.FOLLOW,
                              "enters the cloned repository: its root", ".")
    return PlannedCommand(text, path, line, CommandKind.NAVIGATE, Action.REPORT,
                          f"changes to {target!r}, which the repository does not have", cwd)


def _missing_data(text: str, cwd: str, files: set[str], folders: set[str]) -> tuple[str, ...]:
    """Paths a command reads (data options, data or model files) that are not in the repository."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    found: list[str] = []
    for index, word in enumerate(words[1:], 1):
        flag, _, value = word.partition("=")
        candidate = value if value and _DATA_FLAG.match(flag) else None
        if candidate is None and _DATA_FLAG.match(words[index - 1]) and not word.startswith("-"):
            candidate = word
        if candidate is None and _DATA_FILE.search(word) and not words[index - 1].startswith(("-o", "--out", ">")):
            candidate = word
        if not candidate or "<" in candidate or "{" in candidate or "$" in candidate:
            continue
        rel = posixpath.normpath(posixpath.join(cwd, candidate)) if not candidate.startswith("/") else candidate
        if rel not in folders and rel not in files:
            found.append(candidate)
    return tuple(found)
