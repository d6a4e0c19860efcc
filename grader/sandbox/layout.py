"""How the authors run their code, and so how the import step imports each module.

Python puts a script's own folder first on sys.path: `python source/train.py` imports `source/utils.py` as
`utils`, even where `source/` also has an `__init__.py`. So a module is imported under the conventions its
authors evidently use, the evident one first: as a script in its folder when a README, a shell script, a
Makefile, a pipeline file (dvc.yaml, MLproject...) or the code itself runs a script of that folder (or the
folder's own scripts import their siblings top-level and run as `__main__`); as a package from the root
otherwise (`src/` layouts as installed); tests as `python -m pytest` imports them.
"""

from __future__ import annotations

import ast
import configparser
import posixpath
import re
from dataclasses import dataclass

from grader.analysis.structured import load_toml
from grader.files import SubmissionTree

#: Most modules the import step tries (a vendored library is not the group's code).
MAX_MODULES = 300
#: Files that may say how the code is run (scanned as text, line by line).
_RUNNER_FILES = re.compile(
    r"(?:^|/)(?:readme[^/]*|[^/]+\.(?:md|rst|sh|bash|zsh|slurm|sbatch|job|pbs|bat|cmd|ps1|mk|ya?ml|toml|cfg|ini|py"
    r"|ipynb)|makefile|gnumakefile|mlproject|snakefile|procfile|justfile|dockerfile[^/]*)$",
    re.IGNORECASE,
)
_RUNNER = re.compile(
    r"(?<![\w/.-])(?:[\w./-]*/)?(?:python(?:3(?:\.\d+)?)?|py|\$\{?PYTHON\d?\}?|\$\(PYTHON\d?\)|torchrun|deepspeed"
    r"|accelerate\s+launch|streamlit\s+run)(?=\s)"
)
_LIST_FORM = re.compile(
    r"(?:['\"]python3?['\"]|sys\.executable)\s*,\s*(?:['\"]-u['\"]\s*,\s*)?['\"](?P<script>[\w./-]+\.py)['\"]"
)
_CD_BEFORE = re.compile(r"\bcd\s+(?P<dir>[\w./~-]+)\s*(?:&&|;)\s*(?:[\w./$(){}-]*\s+)?$")
_CD_LINE = re.compile(r"^\s*(?:[$>]\s*)?cd\s+(?P<dir>[\w./~-]*)\s*$")
_SEPARATORS = re.compile(r"&&|\|\||[;|)`'\"]")


@dataclass(frozen=True)
class ScriptRun:
    """A place that runs a script of the submission (or a module with -m), as evidence of a convention."""

    #: The script's path, relative to the root; for `-m`, the module's dotted name.
    target: str
    #: `file:line` of the evidence.
    where: str
    #: The command as written there (shortened).
    text: str
    as_module: bool = False
    #: The folder the command runs in (relative to the root): where its `cd` went, or the folder of a script named
    #: bare ("run `python3 backend.py` in Back_End").
    cwd: str = ""


@dataclass(frozen=True)
class Convention:
    """One way to import a module: its name, the folders first on sys.path ('' is the root), and why."""

    module: str
    paths: tuple[str, ...]
    how: str
    #: The working folder the authors run it from ('' is the root).
    cwd: str = ""


@dataclass(frozen=True)
class ModulePlan:
    """A module of the group's code and the conventions to import it under, the evident one first."""

    path: str
    conventions: tuple[Convention, ...]


def script_runs(tree: SubmissionTree) -> list[ScriptRun]:
    """Every script run (and `python -m` run) the submission's text files show, resolved to its files."""
    found: list[ScriptRun] = []
    for rel in tree.files():
        if not _RUNNER_FILES.search(rel) or posixpath.basename(rel).lower().startswith("requirements"):
            continue
        text = tree.read_text(rel)
        if text:
            found.extend(_runs_in(tree, rel, text))
    return found


def _runs_in(tree: SubmissionTree, rel: str, text: str) -> list[ScriptRun]:
    found: list[ScriptRun] = []
    cd = ""
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > 2000:
            continue
        if (moved := _CD_LINE.match(line)) is not None:
            cd = _join(cd, moved.group("dir"))
            continue
        where = f"{rel}:{number}"
        for match in _RUNNER.finditer(line):
            before = _CD_BEFORE.search(line[: match.start()])
            folder = _join(cd, before.group("dir")) if before else cd
            target, as_module = _target(line[match.end():])
            if target is None:
                continue
            if as_module:
                found.append(ScriptRun(target, where, _quoted(line), as_module=True, cwd=folder))
            elif (resolved := _resolve(tree, rel, folder, target)) is not None:
                found.append(ScriptRun(resolved[0], where, _quoted(line), cwd=resolved[1]))
        for match in _LIST_FORM.finditer(line):
            if (resolved := _resolve(tree, rel, cd, match.group("script"))) is not None:
                found.append(ScriptRun(resolved[0], where, _quoted(line), cwd=resolved[1]))
    return found


def _quoted(line: str) -> str:
    """The evidence line as the report quotes it: short."""
    text = line.strip()
    return text if len(text) <= 90 else text[:87] + "..."


def _target(rest: str) -> tuple[str | None, bool]:
    """The script (or `-m` module) a runner's arguments name: the first .py word after the options."""
    words = _SEPARATORS.split(rest, 1)[0].split()
    for index, word in enumerate(words[:12]):
        if word == "-m":
            module = words[index + 1] if index + 1 < len(words) else ""
            return (module, True) if re.fullmatch(r"[A-Za-z_][\w.]*", module) else (None, False)
        if word.endswith(".py"):
            return word.strip("'\"[],"), False
        if not word.startswith("-") and "=" not in word and (index == 0 or not words[index - 1].startswith("-")):
            return None, False
    return None, False


def _join(cd: str, folder: str) -> str:
    if folder in {"", "~", "-"} or folder.startswith(("/", "~", "$")):
        return ""
    joined = posixpath.normpath(posixpath.join(cd, folder))
    return "" if joined.startswith("..") or joined == "." else joined


def _resolve(tree: SubmissionTree, rel: str, cd: str, script: str) -> tuple[str, str] | None:
    """The submission's file a script path names, and the folder the command runs in: after a `cd`, beside the
    file that names it, from the root; a bare name found in exactly one folder runs in that folder."""
    script = script.removeprefix("./")
    if script.startswith("/") or ".." in script.split("/"):
        return None
    for base in dict.fromkeys((cd, posixpath.dirname(rel), "")):
        candidate = posixpath.normpath(posixpath.join(base, script))
        if tree.exists(candidate) and candidate.endswith(".py"):
            return candidate, base
    if "/" not in script:  # "Navigate to the Data_Management folder and run 'python3 Make_DB.py'"
        found = [f for f in tree.with_suffix(".py") if posixpath.basename(f) == script]
        if len(found) == 1:
            return found[0], posixpath.dirname(found[0])
    return None


def module_plans(tree: SubmissionTree) -> tuple[list[ModulePlan], list[str]]:
    """Every importable module with its conventions, and one line per convention the layout evidently uses."""
    scripts = _script_folders(tree)
    pythonpath = pytest_pythonpath(tree)
    imported = _imported_names(tree)
    plans: list[ModulePlan] = []
    for rel in tree.with_suffix(".py"):
        parts = rel[:-3].split("/")
        # Only the module's own dotted name must be made of identifiers: `python project-1/train.py` runs fine.
        if parts[-1] in {"setup", "__main__", "conftest"} or not parts[-1].isidentifier():
            continue
        plan = _plan(tree, rel, parts, scripts, pythonpath, imported)
        if plan is not None:
            plans.append(plan)
    notes = [f"{folder}/: its scripts run {'in' if why.runs_inside else 'from'} their folder ({why.evidence}), so its "
             "modules import as top-level names" for folder, why in sorted(scripts.items())
             if any(p.path.startswith(f"{folder}/") for p in plans)]
    if any(c.paths[:1] == ("src",) for p in plans for c in p.conventions):
        notes.append("src/: a src layout, its packages imported as installed (src/ on sys.path)")
    return plans[:MAX_MODULES], notes


def _plan(
    tree: SubmissionTree, rel: str, parts: list[str], scripts: dict[str, ScriptFolder], pythonpath: tuple[str, ...],
    imported: frozenset[str],
) -> ModulePlan | None:
    is_init = parts[-1] == "__init__"
    names = parts[:-1] if is_init else parts
    if not names:
        return None
    # Climb while the folder is a package, so `src/pkg/mod.py` imports as `pkg.mod` from `src`.
    start = len(names) - (0 if is_init else 1)
    while start > 0 and tree.exists("/".join(names[:start]) + "/__init__.py"):
        start -= 1
    # A folder whose name is no identifier cannot be a package on the way: its scripts run with it on sys.path.
    while start < len(names) and not all(p.isidentifier() for p in names[start:]):
        start += 1
    if start == len(names):
        return None
    root = "/".join(names[:start])
    dotted = ".".join(names[start:])
    package = _script_convention(dotted, root, scripts[root]) if root in scripts else \
        Convention(dotted, (root,), _package_how(dotted, root))
    namespace = _namespace(names, start, root, scripts, imported)
    if _is_test(parts[-1]):
        paths = tuple(dict.fromkeys((root, "", *pythonpath)))
        shown = " and ".join(f"{p}/" if p else "the root" for p in paths)
        return ModulePlan(rel, (Convention(package.module, paths, f"as pytest imports it, with {shown} on sys.path"),))
    # A script folder at or above the module's, with packages only in between, imports it from that folder.
    for cut in range(len(names) - (1 if not is_init else 0), start, -1):
        folder = "/".join(names[:cut])
        if folder in scripts:
            name = ".".join(names[cut:])
            if not name:
                break
            return ModulePlan(rel, (_script_convention(name, folder, scripts[folder]), package))
    if namespace is None:
        return ModulePlan(rel, (package,))
    # A folder without __init__.py is a namespace package from the root as much as a folder of scripts; the code
    # importing `folder.module` somewhere says which one its authors use first.
    folder = namespace.module.rsplit(".", 1)[0]
    evident = any(n == folder or n.startswith(folder + ".") for n in imported)
    return ModulePlan(rel, (namespace, package) if evident else (package, namespace))


def _namespace(
    names: list[str], start: int, root: str, scripts: dict[str, ScriptFolder], imported: frozenset[str]
) -> Convention | None:
    """The module as part of a namespace package from the root, for modules in folders without __init__.py."""
    if not root or root in scripts or not all(p.isidentifier() for p in names):
        return None
    module = ".".join(names)
    return Convention(module, ("",), f"as `{module}` from the root (a folder without __init__.py, a namespace package)")


def _script_convention(module: str, folder: str, why: ScriptFolder) -> Convention:
    """A module of a script folder: the folder first on sys.path, and the working folder its scripts run in."""
    inside = f" and {folder}/ as the working folder" if why.runs_inside else ""
    return Convention(module, (folder,), f"as `{module}` with {folder}/ on sys.path{inside}, as its folder's scripts "
                      f"run: {why.evidence}", folder if why.runs_inside else "")


def _package_how(module: str, root: str) -> str:
    if not root:
        return f"as `{module}` from the root"
    if root == "src" or root.endswith("/src"):
        return f"as `{module}` with {root}/ on sys.path, as a src layout is installed"
    return f"as `{module}` with {root}/ on sys.path, as a script in that folder runs"


_IMPORT_LINE = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import|import\s+([A-Za-z_][\w.]*))", re.MULTILINE)


def _imported_names(tree: SubmissionTree) -> frozenset[str]:
    """Dotted names the group's Python files import (read as text: a file that does not parse still says it)."""
    found: set[str] = set()
    for rel in tree.with_suffix(".py"):
        for match in _IMPORT_LINE.finditer(tree.read_text(rel) or ""):
            found.add(match.group(1) or match.group(2))
    return frozenset(found)


def _is_test(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test")


@dataclass(frozen=True)
class ScriptFolder:
    """A folder whose scripts are run as scripts: the first evidence, and whether they run from inside it."""

    evidence: str
    runs_inside: bool = False


def _script_folders(tree: SubmissionTree) -> dict[str, ScriptFolder]:
    """Folders whose scripts are run as scripts, with the first evidence for each ("dvc.yaml:4: `python ...`")."""
    folders: dict[str, ScriptFolder] = {}
    for run in script_runs(tree):
        folder = posixpath.dirname(run.target)
        if not run.as_module and folder and folder not in folders:
            folders[folder] = ScriptFolder(f"{run.where}: `{run.text}`", run.cwd == folder)
    for rel in tree.with_suffix(".py"):
        folder = posixpath.dirname(rel)
        if folder and folder not in folders and tree.exists(f"{folder}/__init__.py"):
            sibling = _main_importing_sibling(tree, rel)
            if sibling is not None:
                folders[folder] = ScriptFolder(f"{rel} runs as __main__ and imports its sibling `{sibling}` top-level")
    return folders


def _main_importing_sibling(tree: SubmissionTree, rel: str) -> str | None:
    """The sibling a module with a `__main__` block imports as a top-level name, if any: the code itself says
    it runs as a script from its folder."""
    text = tree.read_text(rel) or ""
    if "__main__" not in text:
        return None
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    folder = posixpath.dirname(rel)
    for node in module.body:
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        for name in names:
            top = name.split(".")[0]
            local = tree.exists(f"{folder}/{top}.py") or tree.exists(f"{folder}/{top}/__init__.py")
            if local and not (tree.exists(f"{top}.py") or tree.exists(top)):
                return top
    return None


def pytest_pythonpath(tree: SubmissionTree) -> tuple[str, ...]:
    """The `pythonpath` the group's pytest configuration adds (pytest.ini, pyproject.toml, tox.ini, setup.cfg)."""
    for name, section in (("pytest.ini", "pytest"), ("pyproject.toml", ""), ("tox.ini", "pytest"),
                          ("setup.cfg", "tool:pytest")):
        text = tree.read_text(name) if tree.exists(name) else None
        if not text:
            continue
        try:
            raw = _ini_value(text, section) if section else _toml_value(text)
        except Exception:  # a broken configuration file is the env checks' finding, not this one's
            continue
        if isinstance(raw, str | list):
            entries = raw.split() if isinstance(raw, str) else [v for v in raw if isinstance(v, str)]
            return tuple(p for p in (_join("", e) for e in entries) if p)
    return ()


def _ini_value(text: str, section: str) -> str | None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    return parser.get(section, "pythonpath", fallback=None) if parser.has_section(section) else None


def _toml_value(text: str) -> object:
    options = load_toml(text).data
    for key in ("tool", "pytest", "ini_options"):
        options = options.get(key) if isinstance(options, dict) else None
    return options.get("pythonpath") if isinstance(options, dict) else None
