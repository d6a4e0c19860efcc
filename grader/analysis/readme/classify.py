"""What one README command is, and what the README step does with it: the classification ladder of `run.readme`.

Most specific first: activation, clones, installs, variables, credentials, downloads (a download tool, or any
address on the network among the arguments), GPU-only, data the repository does not have, servers, training,
other runs. The reading order (folders entered with `cd`, clones, the folder a sentence names) is plan.py's.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from grader.analysis.readme.commands import is_run_command, is_setup_command


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
    #: Paths it reads that the repository does not have (data sets, checkpoints), as the command writes them.
    missing: tuple[str, ...] = ()


#: Whether a path (relative to the checkout's root) is a file or folder of the repository.
Exists = Callable[[str], bool]

_ACTIVATE = re.compile(r"^(?:source|\.)\s+\S*activate\b|^(?:conda|mamba|micromamba|workon|pyenv)\s+activate\b|"
                       r"^\S*activate(?:\.bat|\.ps1)?$")
_DOWNLOAD = re.compile(r"^(?:wget|curl|gdown|kaggle\s+(?:datasets|competitions)|aria2c|scp|rsync|aws\s+s3|gsutil|"
                       r"dvc\s+(?:pull|fetch)|git\s+lfs\s+pull|huggingface-cli\s+download|hf\s+download|"
                       r"zenodo_get|youtube-dl|yt-dlp|git\s+clone)\b")
#: An address on the network among a command's arguments (a script handed a URL downloads it); not this machine.
_URL = re.compile(r"(?:^|[\s=\"'])(?:https?|ftp|s3|gs)://(?!(?:localhost|127\.0\.0\.1|0\.0\.0\.0)\b)", re.IGNORECASE)
_CREDENTIALS = re.compile(r"^(?:wandb\s+login|huggingface-cli\s+login|hf\s+auth|aws\s+configure|gcloud\s+auth|"
                          r"az\s+login|kaggle\s+config|docker\s+login|export\s+\w*(?:KEY|TOKEN|SECRET|PASSWORD)\w*=)",
                          re.IGNORECASE)
_GPU = re.compile(r"\bnvidia-smi\b|\bCUDA_VISIBLE_DEVICES=|--gpus?\b|--device[= ](?:cuda|gpu)|\bcuda:\d|"
                  r"--nproc_per_node|\baccelerate\s+launch\b|\bdeepspeed\b|\btorchrun\b", re.IGNORECASE)
_SERVER = re.compile(r"^(?:streamlit\s+run|jupyter(?:-lab|\s+lab|\s+notebook)?\b(?!\s+nbconvert)|flask\s+run|"
                     r"uvicorn|gunicorn|tensorboard|gradio|python3?\s+-m\s+http\.server|npm\s+start|yarn\s+start)")
#: Training: a training script, a training module, a training flag or sub-command, or many epochs.
_TRAINING = re.compile(r"(?:^|[\s/])(?:train|fit|finetune|fine_tune|pretrain)\w*\.py\b|\s-m\s+[\w.]*train\b|"
                       r"--(?:epochs?|max_epochs|num_epochs|n_epochs)[= ](?:[2-9]|\d{2,})|"
                       r"\s(?:--train|--do[_-]train|--mode[= ]train|train|fit)(?=\s|$)", re.IGNORECASE)
#: Installs outside Python's environment: the system's packages, JavaScript's.
_SYSTEM = re.compile(r"^(?:sudo\s+)?(?:apt(?:-get)?|brew|yum|dnf|pacman|choco|winget|nvm)\b|"
                     r"^(?:npm|yarn|pnpm)\s+(?:install|i|ci|add)\b")
_RUNNABLE = re.compile(r"^(?:mkdir|ls|echo|cat|chmod|python[\d.]*|bash|sh|make|pytest)\b")
#: Arguments that name data a command reads: options called like data, and files of data or model formats.
_DATA_FLAG = re.compile(r"^--?(?:data|dataset|data_dir|data-dir|data_path|data-path|input|in|root|ckpt|checkpoint|"
                        r"weights|model_path|model-path|resume|audio|wav|csv|test_dir|train_dir)\w*$", re.IGNORECASE)
#: Options naming what a command writes: a path there need not exist beforehand.
_OUTPUT_FLAG = re.compile(r"^--?(?:o|out|output|save|log|dest|export|result|write|exp|experiment|run|name|"
                          r"tensorboard|wandb|cache|tmp)[\w-]*$|^--?[\w-]*(?:out|output|save|log)(?:[_-]?dir|[_-]?path|"
                          r"[_-]?file)?$", re.IGNORECASE)
_DATA_FILE = re.compile(r"\.(?:wav|flac|mp3|ogg|csv|tsv|h5|hdf5|npy|npz|pkl|pt|pth|ckpt|bin|zip|tar|gz|parquet)$",
                        re.IGNORECASE)
#: Code and configuration: a README naming one the repository lacks is wrong, and running it shows the reader so.
_CODE_FILE = re.compile(r"\.(?:py|ipynb|sh|ya?ml|json|toml|cfg|ini|conf)$", re.IGNORECASE)
_ENV_ASSIGNMENTS = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+")


def bare(text: str) -> str:
    """The command without the `NAME=value` assignments in front of it."""
    return _ENV_ASSIGNMENTS.sub("", text)


def classify(text: str, path: str, line: int, cwd: str, exists: Exists) -> PlannedCommand:
    """What the command is, by the classification ladder, most specific first: activation, clones, installs,
    variables, credentials, downloads, GPU, missing data, servers, training, other runs (`cd` is plan.py's)."""
    command = bare(text)

    def planned(kind: CommandKind, action: Action, reason: str, missing: tuple[str, ...] = ()) -> PlannedCommand:
        return PlannedCommand(text, path, line, kind, action, reason, cwd, missing)

    if _ACTIVATE.match(command):
        return planned(CommandKind.ACTIVATE, Action.FOLLOW, "activates an environment: the build's environment is "
                       "active already")
    if re.match(r"^git\s+clone\b", command):
        return planned(CommandKind.DOWNLOAD, Action.REPORT, "clones a repository: the checkout is already there, "
                       "and other repositories are not fetched")
    if _SYSTEM.match(command):
        return planned(CommandKind.ENVIRONMENT, Action.SKIP, "installs system or JavaScript packages: not run (the "
                       "sandbox has what its image provides)")
    if (is_setup_command(command) and not is_run_command(command)) or re.match(r"^pyenv\b", command):
        return planned(CommandKind.ENVIRONMENT, Action.SKIP, "creates or installs the environment: the build did")
    if re.match(r"^(?:export|set|setx)\s+\w+=", command) and not _CREDENTIALS.match(command):
        return planned(CommandKind.VARIABLE, Action.FOLLOW, "sets a variable for the commands after it")
    if _CREDENTIALS.match(command):
        return planned(CommandKind.CREDENTIALS, Action.REPORT, "needs the group's credentials: not run")
    if _DOWNLOAD.match(command):
        return planned(CommandKind.DOWNLOAD, Action.REPORT, "downloads data or code: not run (no network)")
    if _URL.search(command):
        return planned(CommandKind.DOWNLOAD, Action.REPORT, "reaches an address on the network: not run (no "
                       "network)")
    if _GPU.search(text):
        return planned(CommandKind.GPU, Action.REPORT, "needs a GPU: the sandbox has none")
    missing = missing_data(command, cwd, exists)
    if missing:
        return planned(CommandKind.NEEDS_DATA, Action.REPORT, f"reads {', '.join(missing[:3])}, which the "
                       "repository does not have: data to download first, not a fault of the code", missing)
    if _SERVER.match(command):
        return planned(CommandKind.SERVER, Action.RUN_BRIEFLY, "starts a server or notebook: judged by whether it "
                       "starts cleanly within a short limit")
    if _TRAINING.search(command):
        return planned(CommandKind.TRAINING, Action.RUN_BRIEFLY, "trains a model: run under a short limit and "
                       "judged by whether it starts cleanly")
    if is_run_command(command) or _RUNNABLE.match(command):
        return planned(CommandKind.RUN, Action.RUN, "runs the project")
    return planned(CommandKind.OTHER, Action.REPORT, "not a command the grader knows how to run safely")


def missing_data(text: str, cwd: str, exists: Exists) -> tuple[str, ...]:
    """Paths a command reads that are not in the repository: values of data options, files of data or model
    formats, and paths under folders given to any option that does not name an output."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    found: list[str] = []
    for index, word in enumerate(words[1:], 1):
        before = words[index - 1]
        flag, _, value = word.partition("=")
        candidate = value if value and flag.startswith("-") and reads_path(flag, value) else None
        if candidate is None and before.startswith("-") and "=" not in before and not word.startswith("-") \
                and reads_path(before, word):
            candidate = word
        if candidate is None and _DATA_FILE.search(word) and not before.startswith(("-o", "--out", ">")):
            candidate = word
        if not candidate or re.search(r"[<{$*?]|://", candidate):
            continue
        rel = posixpath.normpath(posixpath.join(cwd, candidate)) if not candidate.startswith("/") else candidate
        if not exists(rel):
            found.append(candidate)
    return tuple(dict.fromkeys(found))


def reads_path(flag: str, value: str) -> bool:
    """Whether an option's value is a path the command reads: a data option, or a path under a folder given to an
    option that does not name an output."""
    if _DATA_FLAG.match(flag):
        return True
    return "/" in value.strip("/") and not _OUTPUT_FLAG.match(flag) and not _CODE_FILE.search(value)
