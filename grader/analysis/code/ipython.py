"""Notebook code cells as students write them: IPython magics and shell escapes told apart from Python.

`!pip install x`, `%pip install x`, `%matplotlib inline`, `files = !ls`, `%%shell` cells and `obj?` help are
IPython, not Python: they become blank lines (or a harmless assignment) in the Python seen by the analyses, so
line numbers stay aligned, and the shell commands they hold are kept for the environment analysis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Cell magics whose body is not Python (shell scripts, other languages, a file being written).
_FOREIGN_CELL_MAGICS = frozenset({
    "bash", "sh", "shell", "script", "system", "html", "javascript", "js", "latex", "markdown", "svg", "perl",
    "ruby", "writefile", "file", "sql", "R", "octave", "powershell", "cmd",
})
#: Cell magics whose body is shell commands.
_SHELL_CELL_MAGICS = frozenset({"bash", "sh", "shell", "script", "system"})
#: Line magics that run a shell command or an installer.
_SHELL_LINE_MAGICS = frozenset({"pip", "conda", "mamba", "sx", "system", "cd", "run"})
_ASSIGNED_ESCAPE = re.compile(r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*([!%])(.*)$")
_HELP = re.compile(r"^\s*[?]*[A-Za-z_][\w.]*\?{1,2}\s*$|^\s*\?+[A-Za-z_][\w.]*\s*$")


@dataclass(frozen=True)
class ShellLine:
    """A shell command written in a notebook: a `!` line, a `%pip`-style magic, or a line of a `%%bash` cell."""

    #: The 1-based line of the unit's code where it stands (that line is blank in the Python).
    line: int
    #: The 0-based index of its cell among all cells.
    cell: int
    #: The command as a shell would run it (`pip install x` for `%pip install x`).
    command: str


def ipython_lines(cell: str) -> list[tuple[str, str | None]]:
    """Each line of a code cell as (Python text, shell command or None); IPython-only lines read as blank."""
    lines = cell.splitlines()
    if not lines:
        return []
    magic = re.match(r"^\s*%%\s*(\w+)", lines[0])
    if magic:
        name = magic.group(1)
        if name in _FOREIGN_CELL_MAGICS:
            shell = name in _SHELL_CELL_MAGICS
            body: list[tuple[str, str | None]] = [("", None)]
            body += [("", line.strip() if shell and line.strip() and not line.lstrip().startswith("#") else None)
                     for line in lines[1:]]
            return body
        return [("", None), *_lines(lines[1:])]  # %%time, %%capture: the body is Python
    return _lines(lines)


def _lines(lines: list[str]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    continued = False
    for line in lines:
        if continued:
            out.append(("", None))
            continued = line.rstrip().endswith("\\")
            continue
        stripped = line.lstrip()
        if stripped.startswith("!"):
            out.append(("", stripped[1:].strip().removeprefix("!").strip() or None))
            continued = line.rstrip().endswith("\\")
        elif stripped.startswith("%"):
            out.append(("", _line_magic_command(stripped)))
        elif (assigned := _ASSIGNED_ESCAPE.match(line)) is not None:
            # `files = !ls data` binds a name: keep the binding so later lines do not read as undefined names.
            indent, names, escape, rest = assigned.groups()
            command = rest.strip() if escape == "!" else _line_magic_command("%" + rest)
            out.append((f"{indent}{names} = None", command))
        elif _HELP.match(line):
            out.append(("", None))
        else:
            out.append((line, None))
    return out


def _line_magic_command(text: str) -> str | None:
    """The shell command a line magic runs (`%pip install x` is `pip install x`); None for other magics."""
    words = text.lstrip("%").split(maxsplit=1)
    if not words or words[0] not in _SHELL_LINE_MAGICS:
        return None
    if words[0] in ("sx", "system"):
        return words[1].strip() if len(words) > 1 else None
    return " ".join(words).strip()
