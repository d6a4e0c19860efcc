"""repo.hygiene: what should not be committed (large files, environments, caches, build output, secrets)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pydantic import Field

from grader.acquire.history import HistoryError, committed_files
from grader.analysis.repo.secrets import find_secrets
from grader.checks.base import Check, CheckContext, CheckOptions, finding
from grader.files import DEFAULT_EXCLUDED_DIRS, SubmissionTree, UnsafePathError
from grader.models import CheckResult, Finding, Measurement, Severity, Status

MB = 1024 * 1024
#: GitHub refuses pushes of files above this size; anything larger is an error, not a warning.
HARD_LIMIT = 100 * MB

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".onnx", ".safetensors", ".pkl", ".pickle",
                       ".joblib", ".tflite", ".keras", ".pb", ".npz", ".npy", ".bin", ".model", ".weights")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a", ".aiff", ".aif", ".opus", ".au")
LATEX_BUILD_SUFFIXES = (".aux", ".fls", ".fdb_latexmk", ".synctex.gz", ".blg", ".toc", ".lof", ".lot", ".nav",
                        ".snm", ".bcf", ".run.xml", ".xdv")
#: Build output only when a same-named .tex file sits next to it (a training run's .log is fine).
LATEX_BUILD_IF_TEX = (".log", ".out")
CACHE_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
EXPERIMENT_LOG_DIRS = frozenset({"wandb", "mlruns", "lightning_logs"})
VENV_MARKERS = ("pyvenv.cfg", "bin/activate", "Scripts/activate", "conda-meta/history")
TEXT_SUFFIXES_SKIPPED = CHECKPOINT_SUFFIXES + AUDIO_SUFFIXES + (".png", ".jpg", ".jpeg", ".gif", ".pdf", ".zip",
                                                                ".gz", ".tar", ".mp4", ".pyc", ".so")


class RepoHygieneOptions(CheckOptions):
    """Size thresholds for what counts as a large file, a checkpoint or an audio data set."""

    large_file_mb: float = Field(10.0, gt=0, description="any committed file above this size is reported")
    checkpoint_mb: float = Field(5.0, gt=0, description="model checkpoints above this size are reported")
    audio_files_max: int = Field(20, ge=0, description="more committed audio files than this are a data set")
    audio_total_mb: float = Field(20.0, gt=0, description="more committed audio than this is a data set")
    scan_max_kb: int = Field(1024, gt=0, description="text files up to this size are scanned for secrets")


@dataclass(frozen=True)
class _File:
    path: str
    size: int


class RepoHygieneCheck(Check[RepoHygieneOptions]):
    """repo.hygiene: large files, committed environments, caches, build output, no .gitignore, secrets."""

    id = "repo.hygiene"
    title = "Repository hygiene"
    description = (
        "Reports large files (checkpoints, audio data sets, TensorBoard logs), committed virtual environments, "
        "caches, LaTeX build files, a missing .gitignore and committed secrets (shown redacted, with path and line)."
    )

    def run(self, ctx: CheckContext) -> CheckResult:
        """List the committed files (git's tree when known, else the folder) and sort out what does not belong."""
        options = self.options
        sub = ctx.submission
        source = "git"
        try:
            if sub.git_dir is not None and sub.commit is not None:
                files = [_File(f.path, f.size) for f in committed_files(sub.git_dir, sub.commit) if f.mode != "160000"]
            else:
                source = "folder"
                files = _folder_files(SubmissionTree(sub.root, excluded_dirs=frozenset({".git"})))
        except HistoryError as exc:
            return self.result(Status.ERROR, 0.0, f"cannot list the committed files: {exc}")
        found = _Findings()
        _sizes(files, options, found)
        _clutter(files, found)
        if not any(f.path == ".gitignore" for f in files):
            found.add("gitignore", finding("no .gitignore at the top of the repository; add one (GitHub's Python "
                                             "template is a good start)", severity=Severity.WARNING))
        _secrets(ctx.tree, files, options.scan_max_kb * 1024, found)
        penalty = {"secrets": 0.5, "venv": 0.3, "large": 0.2, "caches": 0.1, "latex": 0.1, "gitignore": 0.1}
        score = 1.0 - sum(p for kind, p in penalty.items() if found.by_kind.get(kind))
        failed = bool(found.by_kind.get("secrets") or found.by_kind.get("venv") or found.hard_limit)
        measurements: dict[str, Measurement] = {
            "listing": source,
            "files": len(files),
            "total_bytes": sum(f.size for f in files),
            **found.measurements,
            "gitignore": "gitignore" not in found.by_kind,
        }
        problems = sorted(kind for kind, items in found.by_kind.items() if items)
        summary = "clean" if not problems else "found: " + ", ".join(problems)
        return self.result(Status.FAILED if failed else Status.PASSED, score, summary, measurements, found.all())


class _Findings:
    """Findings grouped by kind, plus the raw lists kept as measurements."""

    def __init__(self) -> None:
        self.by_kind: dict[str, list[Finding]] = defaultdict(list)
        self.measurements: dict[str, Measurement] = {}
        self.hard_limit = False

    def add(self, kind: str, item: Finding) -> None:
        self.by_kind[kind].append(item)

    def all(self) -> list[Finding]:
        return [item for items in self.by_kind.values() for item in items]


def _folder_files(tree: SubmissionTree) -> list[_File]:
    files = []
    for rel in tree.files():
        try:
            files.append(_File(rel, tree.size(rel)))
        except (OSError, UnsafePathError):
            continue
    return files


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def _sizes(files: list[_File], options: RepoHygieneOptions, found: _Findings) -> None:
    """Large files, checkpoints, audio data sets and TensorBoard event files."""
    large, checkpoints, audio, events = [], [], [], []
    for f in files:
        lower = f.path.lower()
        if lower.endswith(AUDIO_SUFFIXES):
            audio.append(f)
        elif lower.rsplit("/", 1)[-1].startswith("events.out.tfevents."):
            events.append(f)
        elif lower.endswith(CHECKPOINT_SUFFIXES) and f.size > options.checkpoint_mb * MB:
            checkpoints.append(f)
            found.add("large", finding(f"model checkpoint of {_mb(f.size)} committed; publish it elsewhere (a "
                                       "release, a download script)", f.path, severity=Severity.WARNING))
        elif f.size > options.large_file_mb * MB:
            large.append(f)
            found.add("large", finding(f"large file of {_mb(f.size)} committed; remove it and publish it elsewhere, or "
                                       "generate it with a script", f.path, severity=Severity.WARNING))
    for f in [*checkpoints, *large]:
        if f.size > HARD_LIMIT:
            found.hard_limit = True
            found.add("large", finding(f"{_mb(f.size)} is over the 100 MB a git host accepts; remove it from the "
                                       f"history (`git filter-repo --path {f.path} --invert-paths`) and publish it "
                                       "elsewhere", f.path))
    audio_bytes = sum(f.size for f in audio)
    if len(audio) > options.audio_files_max or audio_bytes > options.audio_total_mb * MB:
        folders = sorted({f.path.rsplit("/", 1)[0] if "/" in f.path else "." for f in audio})
        found.add("large", finding(f"an audio data set is committed: {len(audio)} audio files, {_mb(audio_bytes)} "
                                   f"in {', '.join(folders[:5])}; remove it and say in the README where to download it",
                                   folders[0], severity=Severity.WARNING))
    for folder in sorted({f.path.rsplit("/", 1)[0] if "/" in f.path else "." for f in events}):
        found.add("large", finding("TensorBoard event logs committed; remove them and add the log folder to "
                                   ".gitignore", folder, severity=Severity.WARNING))
    found.measurements.update(
        large_files=[f.path for f in large[:50]], checkpoints=[f.path for f in checkpoints[:50]],
        audio_files=len(audio), audio_bytes=audio_bytes, tensorboard_event_files=len(events),
    )


def _clutter(files: list[_File], found: _Findings) -> None:
    """Virtual environments, caches, OS junk, experiment logs and LaTeX build output."""
    paths = {f.path for f in files}
    venvs = sorted({f.path[: -len(marker)].rstrip("/") or "." for f in files for marker in VENV_MARKERS
                    if f.path == marker or f.path.endswith("/" + marker)})
    site = sorted({f.path.split("/site-packages/", 1)[0] for f in files if "/site-packages/" in f.path})
    for folder in sorted(set(venvs) | {s for s in site if not any(s.startswith(v) for v in venvs)}):
        found.add("venv", finding("a virtual environment is committed; list the packages in requirements.txt "
                                  "and ignore the folder", folder))
    caches: dict[str, list[str]] = defaultdict(list)
    latex = []
    for f in files:
        parts = f.path.split("/")
        name = parts[-1]
        if any(venv != "." and f.path.startswith(venv + "/") for venv in venvs):
            continue
        kind = next((part for part in parts[:-1] if part in CACHE_DIRS | EXPERIMENT_LOG_DIRS), None)
        if kind is not None or name.endswith(".pyc") or name in JUNK_NAMES:
            caches[kind or ("__pycache__" if name.endswith(".pyc") else name)].append(f.path)
        lower = name.lower()
        stem = f.path.rsplit(".", 1)[0]
        if lower.endswith(LATEX_BUILD_SUFFIXES) or (lower.endswith(LATEX_BUILD_IF_TEX) and f"{stem}.tex" in paths):
            latex.append(f.path)
    for kind, listed in sorted(caches.items()):
        found.add("caches", finding(f"{len(listed)} {kind} file(s) committed; add them to .gitignore", listed[0],
                                    severity=Severity.WARNING))
    if latex:
        found.add("latex", finding(f"{len(latex)} LaTeX build file(s) committed; remove them and add *.aux, *.log "
                                   "and the like to .gitignore", latex[0], severity=Severity.WARNING))
    found.measurements.update(
        virtual_environments=[v for v in venvs or site], cache_files=sum(len(v) for v in caches.values()),
        cache_kinds=[k for k in sorted(caches)], latex_build_files=[p for p in latex[:50]],
    )


def _secrets(tree: SubmissionTree, files: list[_File], max_bytes: int, found: _Findings) -> None:
    """Scan the group's own text files for credentials; findings name kind, path and line, never the value."""
    kinds: list[str] = []
    for f in files:
        parts = f.path.split("/")
        if f.size > max_bytes or f.path.lower().endswith(TEXT_SUFFIXES_SKIPPED):
            continue
        if any(part in DEFAULT_EXCLUDED_DIRS and part not in {".env", "env"} for part in parts[:-1]):
            continue  # installed packages and caches hold test fixtures that look like keys
        text = tree.read_text(f.path, max_bytes)
        if text is None:
            continue
        for hit in find_secrets(text):
            kinds.append(hit.kind)
            shown = f", starts {hit.shown_prefix}..." if hit.shown_prefix else ""
            found.add("secrets", finding(f"{hit.kind} (value redacted{shown}) committed; revoke it and remove it "
                                         "from the history", f.path, hit.line))
    found.measurements.update(secrets=len(kinds), secret_kinds=[k for k in sorted(set(kinds))])
