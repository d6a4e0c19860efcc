"""The README as a contract: its setup and usage commands, in reading order, as a typed plan for `run.readme`.

The plan only decides; a sandbox step runs it. Its API is four names:

- `readme_run_plan(tree, home)` -> `RunPlan`: every command of the README set, chains split at `&&` and `;`;
- `PlannedCommand`: the command, where it is written, the folder it runs in, its `kind` and the `action` the runner
  takes, with the reason in words;
- `Action`: `skip` (environment creation and installs: the build did them), `follow` (`cd`, activation,
  `export`: change the state later commands run in), `run`, `run-briefly` (training and servers: run under a
  short limit and judged by whether they started cleanly), `report` (downloads, credentials, GPU-only, data
  that is not in the repository: listed, not run, and never a failure of the code);
- `CommandKind`: what a command is for (classify.py holds the ladder).

Reading order matters the way it does for a reader: a `cd` changes the folder of the commands after it; `git clone`
of the project itself and `cd` into it lands at the checkout's root, while a `cd` into another repository the README
clones leaves the checkout (what runs there is reported, not run); a sentence that says where to run a script
("navigate to the Back_End folder and run `python3 backend.py`") is followed when the script is there; a script that
starts a web server (`app.run(...)`) is judged like a server.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace

from grader.analysis.readme.classify import Action, CommandKind, PlannedCommand, bare, classify
from grader.analysis.readme.commands import Command
from grader.analysis.readme.configured import configured_data
from grader.analysis.readme.docset import readme_set
from grader.analysis.readme.document import Document
from grader.analysis.readme.home import RepositoryHome
from grader.files import SubmissionTree, UnsafePathError

__all__ = ["Action", "CommandKind", "PlannedCommand", "RunPlan", "readme_run_plan"]

#: A script that serves: Flask / Dash / socketio `.run(`, uvicorn, Gradio's `.launch(`, aiohttp, http.server.
_SERVES = re.compile(r"\b(?:app|application|server|demo|iface|interface|socketio)\.(?:run|launch|run_server)\(|"
                     r"\buvicorn\.run\(|\bweb\.run_app\(|\.serve_forever\(")
_SCRIPT = re.compile(r"^(?:python[\d.]*|py|bash|sh)\s+(?:-[a-zA-Z]+\s+)*([^\s-]\S*\.(?:py|sh))(?=\s|$)|^\./(\S+)")
#: Largest script read to tell a server from other scripts.
_MAX_SCRIPT_BYTES = 512 * 1024
#: Lines above a command read for the folder a sentence tells the reader to run it in.
_CONTEXT_LINES = 3


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


@dataclass(frozen=True)
class _Checkout:
    """What the plan knows of the repository: its files and folders, and where it lives."""

    tree: SubmissionTree
    files: frozenset[str]
    folders: frozenset[str]
    home: RepositoryHome | None

    def exists(self, rel: str) -> bool:
        """Whether a root-relative path is a file or folder of the checkout (excluded folders included)."""
        return rel in ("", ".") or rel in self.files or rel in self.folders or self.tree.exists(rel)


@dataclass
class _Reading:
    """Where the reader is while following the README: the folder, and other repositories it cloned."""

    cwd: str = "."
    #: The folder of another repository the reader entered, and the line that entered it; commands there are not
    #: the project's until a `cd` leaves it or a later block starts (a reader starts that back in the project).
    foreign: str | None = None
    foreign_line: int = 0
    #: Folders `git clone` made: True for the project itself, False for other repositories.
    clones: dict[str, bool] = field(default_factory=dict)


def readme_run_plan(tree: SubmissionTree, home: RepositoryHome | None = None) -> RunPlan:
    """The plan for the README set's commands, in reading order; each chain split into its commands."""
    files = frozenset(tree.files())
    checkout = _Checkout(tree, files, frozenset(p for f in files for p in _parents(f)), home)
    planned: list[PlannedCommand] = []
    for document in readme_set(tree, home).documents:
        reading = _Reading()  # each document is followed from the checkout's root, as its reader would start it
        for command in document.commands:
            context = _context(document.document, command)
            planned += [_plan(part, command, context, checkout, reading) for part in _split_chain(command.text)]
    return RunPlan(tuple(planned))


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _split_chain(text: str) -> list[str]:
    """`a && b; c` as its commands (`||` fallbacks stay with their command); quotes respected loosely."""
    parts = re.split(r"\s*(?:&&|;)\s*(?=(?:[^'\"]*['\"][^'\"]*['\"])*[^'\"]*$)", text)
    return [p.strip() for p in parts if p.strip()]


def _context(document: Document, command: Command) -> str:
    """The command's line and the lines just above it: where a sentence says which folder to run it in."""
    first = max(0, command.line - 1 - _CONTEXT_LINES)
    return "\n".join(document.lines[first:command.line])


def _plan(text: str, command: Command, context: str, checkout: _Checkout, reading: _Reading) -> PlannedCommand:
    """One command in reading order: the folder it runs in, what it is, and how it changes the reading."""
    words = bare(text)
    if reading.foreign is not None and command.line - reading.foreign_line > 2:
        reading.foreign = None
    if words == "cd" or words.startswith("cd "):
        return _navigate(text, command, checkout, reading)
    if reading.foreign is not None:
        reading.foreign_line = command.line
        step = classify(text, command.path, command.line, reading.cwd, checkout.exists)
        if step.action is Action.REPORT:
            return step
        return replace(step, action=Action.REPORT,
                       reason=f"runs inside {reading.foreign}/, another repository the README clones: not run")
    if re.match(r"^git\s+clone\b", words):
        folder, own = _clone(words, checkout.home)
        if folder:
            reading.clones[folder] = own
    where, why = _script_folder(words, command.path, context, reading.cwd, checkout)
    step = classify(text, command.path, command.line, where, checkout.exists)
    if why:
        step = replace(step, reason=f"{step.reason} (in {where}/, {why})")
    if step.action in (Action.RUN, Action.RUN_BRIEFLY):
        config, missing = configured_data(words, where, checkout.tree, checkout.exists)
        if missing:
            return replace(step, kind=CommandKind.NEEDS_DATA, action=Action.REPORT, missing=missing,
                           reason=f"its configuration {config} names {', '.join(missing[:3])}, which the repository "
                           "does not have: data to download first, not a fault of the code")
    if step.kind is CommandKind.RUN and _serves(words, where, checkout):
        step = replace(step, kind=CommandKind.SERVER, action=Action.RUN_BRIEFLY,
                       reason="starts a web server: judged by whether it starts cleanly within a short limit")
    return step


def _navigate(text: str, command: Command, checkout: _Checkout, reading: _Reading) -> PlannedCommand:
    """`cd`: into a folder of the checkout, into the project's own clone (its root), or into another repository."""
    said = bare(text).split(maxsplit=1)
    target = said[1].strip().strip("'\"") if len(said) > 1 else "~"
    joined = posixpath.normpath(posixpath.join(reading.cwd, target)) if not target.startswith(("/", "~")) else target

    def planned(action: Action, reason: str, cwd: str) -> PlannedCommand:
        return PlannedCommand(text, command.path, command.line, CommandKind.NAVIGATE, action, reason, cwd)

    if reading.foreign is not None:
        if target.rstrip("/") in ("..", "-") or checkout.exists(joined):
            reading.foreign = None
            reading.cwd = reading.cwd if target.rstrip("/") in ("..", "-") else joined
            return planned(Action.FOLLOW, "leaves the other repository", reading.cwd)
        return planned(Action.REPORT, f"changes folder inside {reading.foreign}/, another repository", reading.cwd)
    if joined in (".", "") or (not joined.startswith(("/", "~", "..")) and joined in checkout.folders):
        reading.cwd = joined or "."
        return planned(Action.FOLLOW, "changes folder", reading.cwd)
    name = target.strip("/")
    if reading.clones.get(name) is False:
        reading.foreign, reading.foreign_line = name, command.line
        return planned(Action.REPORT, f"enters {name}/, another repository the README clones: what runs there is "
                       "not the project's", reading.cwd)
    if name and "/" not in name and reading.cwd == ".":
        # `git clone URL && cd project`: the checkout itself; the commands after it run at its root.
        return planned(Action.FOLLOW, "enters the cloned repository: its root", ".")
    return planned(Action.REPORT, f"changes to {target!r}, which the repository does not have", reading.cwd)


def _clone(words: str, home: RepositoryHome | None) -> tuple[str, bool]:
    """The folder `git clone URL [folder]` makes, and whether the URL is the project's own repository."""
    arguments = [w for w in words.split()[2:] if not w.startswith("-")]
    if not arguments:
        return "", True
    url = arguments[0].rstrip("/")
    name = url.rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
    folder = arguments[1].strip("/") if len(arguments) > 1 else name
    if home is None:
        return folder, True  # nothing to compare with: the README most likely clones the project itself
    path = re.sub(r"^(?:[\w+]+://)?(?:[^@/]+@)?[^/:]+[:/]", "", url).removesuffix(".git").strip("/").lower()
    own = path == home.path.lower() or name.lower() == home.path.rsplit("/", 1)[-1].lower()
    return folder, own


def _script_folder(words: str, document: str, context: str, cwd: str, checkout: _Checkout) -> tuple[str, str]:
    """Where a command runs its script when the script is not in `cwd`: the folder of the document that gives the
    command (a `scripts/README.md` runs `python train.py` in scripts/), else the one folder a sentence around the
    command names that holds it; `cwd` otherwise. With why, in words ("" for `cwd`)."""
    script = _SCRIPT.match(words)
    name = (script.group(1) or script.group(2)) if script else ""
    if not name or name.startswith("/") or checkout.exists(posixpath.normpath(posixpath.join(cwd, name))):
        return cwd, ""
    own = posixpath.dirname(document)
    if own and posixpath.normpath(posixpath.join(own, name)) in checkout.files:
        return own, f"the folder of {document}"
    holders = [f for f in checkout.folders if posixpath.normpath(posixpath.join(f, name)) in checkout.files]
    named = [f for f in holders if re.search(rf"(?<![\w/-]){re.escape(f)}(?![\w-])", context, re.IGNORECASE)
             or re.search(rf"(?<![\w/-]){re.escape(posixpath.basename(f))}(?![\w/-])", context, re.IGNORECASE)]
    return (named[0], "the folder the README names there") if len(named) == 1 else (cwd, "")


def _serves(words: str, cwd: str, checkout: _Checkout) -> bool:
    """Whether the Python script a command runs starts a web server (and so runs until it is stopped)."""
    script = _SCRIPT.match(words)
    name = script.group(1) if script else None
    if not name or not name.endswith(".py") or name.startswith("/"):
        return False
    rel = posixpath.normpath(posixpath.join(cwd, name))
    if rel not in checkout.files:
        return False
    try:
        if checkout.tree.size(rel) > _MAX_SCRIPT_BYTES:
            return False
    except (OSError, UnsafePathError):
        return False
    text = checkout.tree.read_text(rel, _MAX_SCRIPT_BYTES) or ""
    return _SERVES.search(text) is not None
