"""Environment kinds, detected in order (first match wins, repo2docker-style), each with its pip install plan."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from grader.analysis.env.find import declared_requirements, environment_files, notebook_requirements
from grader.analysis.env.model import EnvFile, EnvKind, Requirement
from grader.files import SubmissionTree


@dataclass(frozen=True)
class InstallPlan:
    """How to install one submission's environment into the base image's /opt/venv."""

    #: Environment kind: requirements, pyproject, setup, conda, pipfile or plain.
    kind: str
    #: The environment files the plan was made from (relative paths), shown in the report.
    sources: tuple[str, ...] = ()
    #: Files copied into the install container: the env files, or the whole project for a project install.
    copy: tuple[str, ...] = ()
    #: Requirements files the grader wrote itself (conda pip section, Pipfile): name -> content.
    generated: dict[str, str] = field(default_factory=dict)
    #: pip install argument lists, run in order from the copied tree's root (index options added by the installer).
    pip_installs: tuple[tuple[str, ...], ...] = ()
    #: What the plan leaves out or the reader should know (conda-only packages, a Python version asked for...).
    notes: tuple[str, ...] = ()
    #: For a project install: its declared dependencies alone, installed when the project itself is no package
    #: pip can build (a pyproject.toml used as a list of requirements, as `poetry install` allows).
    fallback: InstallPlan | None = None
    #: Requirements the notebooks install with `!pip install` / `%pip install` and no environment file declares:
    #: installed after the plan's own, in a pip call that may fail, so that the notebooks' pip cells need no network.
    notebook_packages: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether there is nothing to install (the plain-Python fallback)."""
        return not self.pip_installs and not self.notebook_packages


@dataclass(frozen=True)
class EnvironmentKind:
    """One kind of environment: its name and a detector returning a plan, or None when it does not apply."""

    name: str
    detect: Callable[[SubmissionTree, list[EnvFile]], InstallPlan | None]


_REQUIREMENTS_NAME = re.compile(r"^requirements[\w.-]*\.txt$", re.IGNORECASE)
#: Requirement files that only serve the docs: never installed.
_DOCS_NAME = re.compile(r"doc", re.IGNORECASE)


def _depth(rel: str) -> int:
    return rel.count("/")


def _shallowest(paths: list[str]) -> list[str]:
    if not paths:
        return []
    top = min(_depth(p) for p in paths)
    return sorted(p for p in paths if _depth(p) == top)


def _project_files(tree: SubmissionTree) -> tuple[str, ...]:
    return tuple(tree.files())


def detect_requirements(tree: SubmissionTree, envs: list[EnvFile]) -> InstallPlan | None:
    """requirements*.txt files at the shallowest folder holding one; `-r` includes and `-e .` come along."""
    names = [f for f in tree.files() if _REQUIREMENTS_NAME.match(posixpath.basename(f))]
    chosen = [f for f in _shallowest(names) if not _DOCS_NAME.search(posixpath.basename(f))]
    if not chosen:
        return None
    by_path = {e.path: e for e in envs}
    installs_project = any(by_path[p].installs_project for p in chosen if p in by_path)
    includes = {inc for p in chosen if p in by_path for inc in by_path[p].includes}
    copy = _project_files(tree) if installs_project else tuple(sorted({*chosen, *includes}))
    notes = [f"{p}: {w.message}" for p in chosen if p in by_path for w in by_path[p].warnings]
    pip = tuple(("-r", p) for p in chosen)
    return InstallPlan("requirements", tuple(chosen), copy, {}, pip, tuple(notes))


def _project_dir(tree: SubmissionTree, envs: list[EnvFile], names: tuple[str, ...], kinds: set[EnvKind]) -> str | None:
    candidates = [f for f in tree.files() if posixpath.basename(f) in names]
    parsed = {e.path for e in envs if e.kind in kinds}
    # A pyproject.toml that only configures tools (black, ruff) declares no project; setup.py always does.
    usable = [f for f in candidates if f in parsed or not f.endswith("pyproject.toml")]
    shallow = _shallowest(usable)
    return posixpath.dirname(shallow[0]) if shallow else None


def _project_plan(kind: str, tree: SubmissionTree, folder: str, sources: list[str]) -> InstallPlan:
    target = f"./{folder}" if folder else "."
    return InstallPlan(kind, tuple(sources), _project_files(tree), {}, ((target,),))


_CARET = re.compile(r"^\s*([\^~])\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$")
DEPENDENCIES_FILE = "grader-project-requirements.txt"


def poetry_to_pep440(constraint: str) -> str:
    """A Poetry version constraint in PEP 440 words: ^1.2.3 is >=1.2.3,<2.0.0, ~1.2 is >=1.2,<1.3, * is any."""
    text = constraint.strip()
    if text in {"", "*"}:
        return ""
    match = _CARET.match(text)
    if match is None:
        # Poetry also writes a bare version for ==, and separates with commas as PEP 440 does.
        return f"=={text}" if re.fullmatch(r"\d[\w.]*", text) else text
    parts = [int(p) for p in match.groups()[1:] if p is not None]
    low = ".".join(map(str, parts))
    if match.group(1) == "~":
        upper = [parts[0], parts[1] + 1] if len(parts) > 1 else [parts[0] + 1]
    else:
        # ^: the first non-zero part may not change.
        first = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
        upper = [*parts[:first], parts[first] + 1]
    return f">={low},<{'.'.join(map(str, upper))}"


def _dependencies_only(kind: str, env: EnvFile | None, sources: list[str]) -> InstallPlan | None:
    """The project's declared dependencies as a requirements file of the grader's (no project build)."""
    if env is None or not env.requirements:
        return None
    lines = []
    for req in env.requirements:
        specifier = poetry_to_pep440(req.specifier) if env.kind is EnvKind.POETRY else req.specifier
        lines.append(f"{req.name}{specifier}" + (f"; {req.marker}" if req.marker else ""))
    return InstallPlan(kind, tuple(sources), (), {DEPENDENCIES_FILE: "\n".join(lines) + "\n"},
                       (("-r", DEPENDENCIES_FILE),))


def detect_pyproject(tree: SubmissionTree, envs: list[EnvFile]) -> InstallPlan | None:
    """A pyproject.toml declaring a project (PEP 621 or Poetry), installed as a project with `pip install .`;
    its dependencies alone when it is no package pip can build."""
    folder = _project_dir(tree, envs, ("pyproject.toml",), {EnvKind.PYPROJECT, EnvKind.POETRY})
    if folder is None:
        return None
    source = posixpath.join(folder, "pyproject.toml")
    plan = _project_plan("pyproject", tree, folder, [source])
    env = next((e for e in envs if e.path == source and e.kind in {EnvKind.PYPROJECT, EnvKind.POETRY}), None)
    return replace(plan, fallback=_dependencies_only("pyproject", env, [source]))


def detect_setup(tree: SubmissionTree, envs: list[EnvFile]) -> InstallPlan | None:
    """setup.py or setup.cfg, installed as a project with `pip install .`."""
    folder = _project_dir(tree, envs, ("setup.py", "setup.cfg"), {EnvKind.SETUP_PY, EnvKind.SETUP_CFG})
    if folder is None:
        return None
    sources = [p for p in (posixpath.join(folder, n) for n in ("setup.py", "setup.cfg")) if tree.exists(p)]
    return _project_plan("setup", tree, folder, sources)


#: Conda packages that have no PyPI distribution of their own (system libraries, toolchains, conda itself).
CONDA_ONLY = frozenset(
    {
        "python", "pip", "setuptools", "wheel", "conda", "cudatoolkit", "cudnn", "cuda", "cuda-toolkit", "nccl",
        "cpuonly", "pytorch-cuda", "pytorch-mutex", "mkl", "mkl-service", "mkl_fft", "mkl_random", "intel-openmp",
        "blas", "openblas", "openssl", "ca-certificates", "tk", "xz", "zlib", "bzip2", "sqlite", "readline",
        "ncurses", "ffmpeg", "lame", "x264", "openh264", "gnutls", "nettle", "freetype", "jpeg", "icu", "expat",
        "gettext", "glib", "gmp", "gstreamer", "pcre", "dbus", "fontconfig", "qt", "qt-main", "pyqt", "lz4-c",
        "zstd", "krb5", "tzdata", "yaml", "sox", "portaudio", "llvm-openmp", "libgcc", "nodejs", "git",
    }
)
#: Python packages whose names start like a system library's (`lib...`) but are distributions on PyPI: conda's
#: `libffi`, `libpng` are C libraries, `librosa` is the audio course's main library.
PYPI_LIB_NAMES = frozenset({"librosa", "libfmp", "libcst", "libclang", "libsass", "libarchive-c", "libtmux"})
#: Conda package names whose PyPI distribution is called differently.
CONDA_TO_PYPI = {
    "pytorch": "torch", "py-opencv": "opencv-python", "pysoundfile": "soundfile", "matplotlib-base": "matplotlib",
    "msgpack-python": "msgpack", "pytables": "tables", "tensorflow-gpu": "tensorflow", "pyyaml": "PyYAML",
}
_CONDA_VERSION = re.compile(r"^\s*(==|>=|<=|!=|~=|>|<|=)?\s*([^=\s,]+)")


def conda_to_pip(req: Requirement) -> str | None:
    """The pip requirement for a conda package, or None when the package is not on PyPI."""
    name = req.name.lower()
    system_library = name.startswith("lib") and name not in PYPI_LIB_NAMES
    if name in CONDA_ONLY or system_library or name.startswith(("_", "cuda-")) or name.endswith(("-dev", "-devel")):
        return None
    pypi = CONDA_TO_PYPI.get(name, req.name)
    match = _CONDA_VERSION.match(req.specifier)
    if not match:
        return pypi
    operator, version = match.group(1) or "=", match.group(2)
    if version in {"*", ""}:
        return pypi
    # conda's `=1.2` means any 1.2.x, pip's prefix match; `==1.2` and comparisons read the same in both.
    if operator == "=":
        return f"{pypi}=={version.rstrip('.*')}.*"
    return f"{pypi}{operator}{version}"


def detect_conda(tree: SubmissionTree, envs: list[EnvFile]) -> InstallPlan | None:
    """environment.yml: its pip section and the PyPI-installable part of its conda list; the rest reported."""
    candidates = _shallowest([e.path for e in envs if e.kind is EnvKind.CONDA and e.error is None])
    if not candidates:
        return None
    env = next(e for e in envs if e.path == candidates[0])
    lines: list[str] = []
    left_out: list[str] = []
    for req in env.requirements:
        if req.source == "conda":
            converted = conda_to_pip(req)
            if converted is None:
                left_out.append(req.name)
            else:
                lines.append(converted)
        else:
            lines.append(f"{req.name}{req.specifier}" + (f"; {req.marker}" if req.marker else ""))
    notes = []
    if left_out:
        notes.append("conda packages not installed with pip (system libraries and tools, or provided by the "
                     f"sandbox): {', '.join(sorted(set(left_out)))}")
    generated = {"grader-conda-requirements.txt": "\n".join(lines) + "\n"}
    pip = (("-r", "grader-conda-requirements.txt"),) if lines else ()
    return InstallPlan("conda", (env.path,), (env.path,), generated, pip, tuple(notes))


def detect_pipfile(tree: SubmissionTree, envs: list[EnvFile]) -> InstallPlan | None:
    """A Pipfile: its [packages] and [dev-packages] installed with pip (Pipfile.lock hashes are not used)."""
    candidates = _shallowest([e.path for e in envs if e.kind is EnvKind.PIPFILE and e.error is None])
    if not candidates:
        return None
    env = next(e for e in envs if e.path == candidates[0])
    lines = [f"{r.name}{r.specifier}" for r in env.requirements]
    generated = {"grader-pipfile-requirements.txt": "\n".join(lines) + "\n"}
    pip = (("-r", "grader-pipfile-requirements.txt"),) if lines else ()
    return InstallPlan("pipfile", (env.path,), (env.path,), generated, pip)


def detect_plain(tree: SubmissionTree, envs: list[EnvFile]) -> InstallPlan:
    """The fallback: no environment file, the base image's Python as it is."""
    return InstallPlan("plain", notes=("no environment file found: the code runs on the base image as it is",))


#: Every kind, in order of preference; the first whose detector returns a plan wins.
KINDS: tuple[EnvironmentKind, ...] = (
    EnvironmentKind("requirements", detect_requirements),
    EnvironmentKind("pyproject", detect_pyproject),
    EnvironmentKind("setup", detect_setup),
    EnvironmentKind("conda", detect_conda),
    EnvironmentKind("pipfile", detect_pipfile),
    EnvironmentKind("plain", detect_plain),
)


def group_dockerfiles(tree: SubmissionTree) -> list[str]:
    """The group's own Dockerfiles, reported; built only when the policy allows it."""
    return [e.path for e in environment_files(tree) if e.kind is EnvKind.DOCKERFILE]


def plan_install(tree: SubmissionTree) -> InstallPlan:
    """The install plan of the first environment kind that applies, with a note on a group's Dockerfile."""
    notes: list[str] = []
    try:
        envs = environment_files(tree)
    except Exception as exc:  # a parser bug must not stop the install: detect by file names alone
        envs = []
        notes.append(f"environment files could not be parsed ({type(exc).__name__}: {exc}); detected by name only")
    plan: InstallPlan | None = None
    for kind in KINDS:
        plan = kind.detect(tree, envs)
        if plan is not None:
            break
    if plan is None:
        plan = detect_plain(tree, envs)
    for_notebooks = notebook_packages(tree, envs)
    if for_notebooks:
        fallback = replace(plan.fallback, notebook_packages=for_notebooks) if plan.fallback else None
        plan = replace(plan, notebook_packages=for_notebooks, fallback=fallback)
        if plan.kind == "plain":
            plan = replace(plan, notes=("no environment file found: the code runs on the base image with only what "
                                        "the notebooks pip-install",))
    dockerfiles = [e.path for e in envs if e.kind is EnvKind.DOCKERFILE]
    if dockerfiles:
        notes.append(f"the group's own Dockerfile ({', '.join(dockerfiles)}) is not used unless the rubric allows it")
    if notes:
        plan = replace(plan, notes=(*plan.notes, *notes))
    return plan


#: Most packages installed for the notebooks (a notebook is no environment file; a longer list is cut).
MAX_NOTEBOOK_PACKAGES = 40


def notebook_packages(tree: SubmissionTree, envs: list[EnvFile]) -> tuple[str, ...]:
    """pip requirement lines for what the notebooks install and no environment file declares (that one wins)."""
    declared = {r.key for r in declared_requirements(e for e in envs if e.error is None)}
    try:
        wanted = notebook_requirements(tree)
    except Exception:  # a notebook the analysis cannot read installs nothing; the notebook step reports it
        return ()
    lines = [f"{r.name}{r.specifier}" + (f"; {r.marker}" if r.marker else "") for r in wanted if r.key not in declared]
    return tuple(dict.fromkeys(lines))[:MAX_NOTEBOOK_PACKAGES]
