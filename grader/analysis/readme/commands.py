"""Shell commands a README gives its reader: recognised in code blocks, prompts, inline code, quotes and headings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.analysis.readme.document import Document

#: Programs a README's reader runs; a line starting with one of these is a command even outside a shell block.
COMMAND_WORDS = frozenset({
    "pip", "pip3", "python", "python3", "py", "conda", "mamba", "micromamba", "git", "bash", "sh", "zsh", "source",
    "cd", "mkdir", "wget", "curl", "unzip", "tar", "docker", "docker-compose", "make", "poetry", "pipenv", "uv",
    "virtualenv", "jupyter", "streamlit", "tensorboard", "npm", "yarn", "npx", "node", "sudo", "apt", "apt-get",
    "brew", "export", "chmod", "cp", "mv", "ln", "rm", "ls", "echo", "accelerate", "torchrun", "deepspeed", "kaggle",
    "gdown", "dvc", "huggingface-cli", "pytest", "flask", "uvicorn", "gunicorn", "nvidia-smi", "activate",
    "deactivate", "ffmpeg", "sox", "cmake", "pre-commit", "tox", "nox", "hatch", "pdm", "pyenv", "set", "setx",
    "pwsh", "powershell", "conda-env", "tensorflowjs_converter", "gsutil", "aws", "scp", "ssh", "rsync", "nohup",
})
#: Code-block languages that hold shell commands (an empty language may hold anything: trees, output, code).
SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "console", "zsh", "shell-session", "sh-session", "terminal",
                             "powershell", "ps1", "pwsh", "cmd", "bat", "batch", "fish", "cli", "command"})
_PROMPT = re.compile(r"^\s*(?:\([\w.-]+\)\s*)?(?:[\w@.~:/-]*[$%>]|PS [^>]*>|[A-Za-z]:\\[^>]*>)\s+(?=\S)")
_ENV_PREFIX = re.compile(r"^(?:[A-Z_][A-Z0-9_]{0,60}=\S{0,500}\s+)+")
_QUOTED = re.compile(r"(?<![\w`])(['\"\u2018\u201c])([a-z][\w.-]*(?: [^'\"\u2019\u201d\n]{1,300}?)?)"
                     r"(?:['\"\u2019\u201d])(?!\w)")
_TREE_CHARS = re.compile(r"[\u2500-\u257f|]")
_SETUP = re.compile(
    r"^(?:sudo\s+)?(?:(?:pip3?|uv pip|python3?\s+-m\s+pip|mamba|micromamba|conda|poetry|pipenv|npm|yarn|brew"
    r"|apt(?:-get)?)\s+(?:install|create|env\s+create|sync|add|update|upgrade)|(?:conda|mamba|source)\s+activate|(?:source|\.)\s+\S*activate\b|"
    r"\S*activate\b|python3?\s+-m\s+venv|virtualenv|uv\s+(?:venv|sync)|git\s+clone|pyenv\s+(?:install|local)|"
    r"docker(?:-compose)?\s+(?:build|pull)|make\s+(?:install|env|setup|venv)|python3?\s+setup\.py\s+(?:install|develop))",
    re.IGNORECASE)
_RUN = re.compile(
    r"^(?:sudo\s+)?(?:python3?|py)\s+(?:-m\s+(?!pip|venv)\w|-u\s+|[\w./\\-]+\.py\b)|^(?:jupyter|streamlit|"
    r"tensorboard|torchrun|accelerate|deepspeed|pytest|flask|uvicorn|gunicorn|npm\s+(?:start|run)|yarn\s+start|"
    r"docker(?:-compose)?\s+(?:run|up|compose\s+up)|bash\s+\S+\.sh|sh\s+\S+\.sh|\./\S+|make(?:\s+(?!install|env|setup"
    r"|venv)\w+)?$|poetry\s+run|pipenv\s+run|uv\s+run|dvc\s+repro)",
    re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    """One command line a reader can run, where it is, and how the README wrote it."""

    text: str
    line: int
    #: fenced, indented, prompt, inline, quoted or heading.
    source: str
    #: The document it is in, when a README set spans several ("" inside one parsed document).
    path: str = ""


def _first_word(text: str) -> str:
    word = _ENV_PREFIX.sub("", text).split(maxsplit=1)
    return word[0] if word else ""


def looks_like_command(text: str, *, strict: bool) -> bool:
    """Whether a line reads as a shell command; `strict` also wants an argument (for prose, quotes, headings)."""
    text = text.strip()
    if not text or _TREE_CHARS.search(text[:4]) or text.lower().startswith("usage:"):
        return False
    first = _first_word(text)
    known = first in COMMAND_WORDS or first.startswith("./") or first.endswith((".sh", ".bat")) \
        or re.fullmatch(r"[\w.\\/-]*(?:activate|Activate\.ps1)", first) is not None
    if not known:
        return False
    if not strict:
        return True
    rest = _ENV_PREFIX.sub("", text).split()[1:]
    return bool(rest) and (any(re.search(r"[./=-]", t) for t in rest) or len(rest) >= 2
                           or rest[0] in {"install", "run", "start", "clone", "activate", "create", "build", "up"})


def commands_in(doc: Document) -> list[Command]:
    """Every command line of the README in reading order; a `\\`-continued or `&&`-chained line counts once."""
    return sorted(_from_blocks(doc) + _from_prose(doc), key=lambda c: c.line)


def _from_blocks(doc: Document) -> list[Command]:
    found: list[Command] = []
    for block in doc.code_blocks:
        language = block.language
        if language and language not in SHELL_LANGUAGES and language not in {"text", "txt", "plain", "none"}:
            continue  # python, yaml, json... are code or configuration, not commands
        prompted = any(_PROMPT.match(text) and looks_like_command(_PROMPT.sub("", text, 1), strict=False)
                       for _, text in block.lines)
        for number, raw in _logical_lines(block.lines):
            text = raw.strip()
            if not text or text.startswith(("#", "//", "::", "REM ")):
                continue
            has_prompt = _PROMPT.match(raw) is not None
            if has_prompt:
                text = _PROMPT.sub("", raw, 1).strip()
            elif prompted:
                continue  # output printed under a prompted command
            shell = language in SHELL_LANGUAGES
            if looks_like_command(text, strict=False) or (shell and _plain_shell_line(text)):
                source = "prompt" if has_prompt else ("fenced" if block.fenced else "indented")
                found.append(Command(text, number, source))
    return found


def _logical_lines(lines: tuple[tuple[int, str], ...]) -> list[tuple[int, str]]:
    """Block lines with `\\`-continuations joined, so a command spread over lines counts once."""
    # Parts are collected and joined once per command: re-joining the growing text at every continuation line
    # made one long continued command quadratic in its length.
    joined: list[tuple[int, list[str]]] = []
    continued = False
    for number, raw in lines:
        if continued and joined:
            parts = joined[-1][1]
            parts[-1] = parts[-1].rstrip().removesuffix("\\").rstrip()
            parts.append(raw.strip())
        else:
            joined.append((number, [raw]))
        continued = raw.rstrip().endswith("\\")
    return [(number, " ".join(parts)) for number, parts in joined]


def _plain_shell_line(text: str) -> bool:
    """A line in a block declared as shell that still is not a command: trees, usage output, closing braces."""
    return bool(re.match(r"^[\w./\\-]", text)) and not _TREE_CHARS.search(text) \
        and not text.lower().startswith(("usage:", "optional arguments", "options:")) and " = " not in text


def _from_prose(doc: Document) -> list[Command]:
    found: list[Command] = []
    heading_lines = {h.line: h for h in doc.headings}
    inline_lines = {number for number, _ in doc.inline_code}
    for number, span in doc.inline_code:
        span = _PROMPT.sub("", span, 1) if _PROMPT.match(span) else span
        if looks_like_command(span, strict=True):
            found.append(Command(span, number, "inline"))
    for number, line in doc.prose:
        stripped = re.sub(r"^\s*(?:[-*+>]|\d{1,3}[.)])\s+", "", line).strip()
        if number in heading_lines:
            raw = re.sub(r"^#+\s*", "", stripped)
            if raw[:1].islower() and looks_like_command(raw, strict=True):
                found.append(Command(raw, number, "heading"))
            continue
        if stripped.startswith("$ ") and looks_like_command(stripped[2:], strict=False):
            found.append(Command(stripped[2:].strip(), number, "prompt"))
            continue
        if number in inline_lines:
            continue  # the inline spans of this line were judged above
        for match in _QUOTED.finditer(line):
            if looks_like_command(match.group(2), strict=True):
                found.append(Command(match.group(2), number, "quoted"))
    return found


def is_setup_command(text: str) -> bool:
    """Whether a command prepares the environment (install, create or activate an env, clone)."""
    return any(_SETUP.match(part.strip()) for part in re.split(r"&&|;", _ENV_PREFIX.sub("", text)))


def is_run_command(text: str) -> bool:
    """Whether a command runs the project (a script, a notebook server, an app, tests)."""
    return any(_RUN.match(_ENV_PREFIX.sub("", part.strip())) and not _SETUP.match(_ENV_PREFIX.sub("", part.strip()))
               for part in re.split(r"&&|;", text))
