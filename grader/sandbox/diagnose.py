"""Why a pip install failed, read from its log: which requirement, and a reason a student can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.sandbox.environments import InstallPlan

_NO_VERSION = re.compile(r"Could not find a version that satisfies the requirement (\S+) \(from versions: ([^)]*)\)")
_NO_MATCH = re.compile(r"No matching distribution found for (\S+)")
_PYTHON = re.compile(r"Package '([^']+)' requires a different Python: (\S+) not in '([^']+)'")
_IGNORED_PYTHON = re.compile(r"Ignored the following versions that require a different python version: (.+)")
_FAILED_BUILD = re.compile(r"Failed to build ([^\n]+)|Failed building wheel for (\S+)")
_SUBPROCESS = re.compile(
    r"(Getting requirements to build wheel|Preparing metadata \(pyproject\.toml\)|python setup\.py egg_info"
    r"|Building wheel for (\S+) \(pyproject\.toml\)|pip subprocess to install build dependencies)"
    r"\s*did not run successfully"
)
#: A compiler the sandbox does not have (it has none: wheels are how packages come into it).
_NO_COMPILER = re.compile(r"Broken toolchain|command '(?:gcc|cc|g\+\+|c\+\+)' failed|(?:gcc|cc): (?:command )?not found"
                          r"|unable to execute '(?:gcc|cc)'|No such file or directory: '(?:gcc|cc)'")
_COLLECTING = re.compile(r"^(?:Collecting|Processing) (\S+)", re.MULTILINE)
_CONFLICT = re.compile(r"ResolutionImpossible|Cannot install (.+?) because these package versions have conflicting")
_INVALID = re.compile(r"Invalid requirement: '?([^'\n]+)'?|Could not open requirements file: (.+)")
_DISK_FULL = re.compile(r"\[Errno 28\] No space left on device|\[Errno 122\] Disk quota exceeded")
_SDIST = re.compile(r"(?:Downloading|Using cached|Processing|File was already downloaded) (?:\S*/)?"
                    r"([A-Za-z0-9][\w.-]*?)-(\d[\w.!+-]*?)\.(?:tar\.gz|tar\.bz2|zip|tgz)\b")
_HEADER = re.compile(r"fatal error: ([\w/.+-]+\.h): No such file or directory")
#: A project pip cannot build as a package: its files are scripts, not the package its metadata names.
_NOT_A_PACKAGE = re.compile(
    r"ModuleOrPackageNotFoundError: (No file/folder found for package \S+)"
    r"|(Multiple top-level (?:packages|modules) discovered in a flat-layout: \[[^\]\n]{0,200}\])"
    r"|(Unable to determine which files to ship inside the wheel)"
    r"|error: (package directory '[^'\n]+' does not exist)"
)
#: pip naming the package whose own install step failed (a setup.py that raises, a legacy install).
_INSTALL_FAILED = re.compile(r"Encountered error while trying to install package\.\s*\n\s*\S*\s*(\S+)"
                             r"|Running setup\.py install for (\S+) did not run successfully")
#: An exception line in a package's own output: `SomeError: message` (the message may follow on later lines).
_RAISED = re.compile(r"^\s*((?:[A-Za-z_][\w.]*)?(?:Error|Exception|Exit))\b:?\s*(.*)$")
#: pip handed a path that exists only on the machine the file was written on (`name @ file:///...` from a conda
#: `pip freeze`, `-e /home/...`).
_LOCAL_PATH = re.compile(r"OSError: \[Errno 2\] No such file or directory: '(/[^']+)'|"
                         r"Directory '(/[^']+)' is not installable|"
                         r"ERROR: (/\S+) does not appear to be a Python project")
#: The distribution a conda build folder belongs to: .../build_artifacts/numpy_1668919081525/work, /croot/x_123/...
_BUILD_FOLDER = re.compile(r"/(?:build_artifacts|croot|conda-bld|bld|work)/([A-Za-z][A-Za-z0-9_.-]*?)_\d{6,}")
_NETWORK = re.compile(r"Max retries exceeded|Temporary failure in name resolution|Network is unreachable|"
                      r"Could not fetch URL|SSLError|ProxyError")


@dataclass(frozen=True)
class PipDiagnosis:
    """Why pip failed: a reason code, the requirement it failed on, and one line a student can act on."""

    failure_reason: str
    failed_requirement: str
    explanation: str


#: Reasons that are the grader's own resources running out, not the group's doing.
GRADER_REASONS = frozenset({"host-disk-full"})


def diagnose_pip(log: str, plan: InstallPlan | None = None, python: str = "3.11") -> PipDiagnosis:
    """The reason, the failed requirement and a one-line explanation for a failed pip install log, on a
    sandbox whose Python is `python`."""
    found = _diagnose(log, plan, python)
    # The install container works on a copy at /tmp/src: name the group's own project by its file instead.
    project = f"the project ({plan.sources[0]})" if plan is not None and plan.sources else "the project"
    return PipDiagnosis(
        found.failure_reason,
        re.sub(r"(?:file://)?/tmp/src\S*", project, found.failed_requirement),
        re.sub(r"(?:file://)?/tmp/src\S*", project, found.explanation),
    )


def _diagnose(log: str, plan: InstallPlan | None, python: str) -> PipDiagnosis:
    if _DISK_FULL.search(log):
        return _found("host-disk-full", "", "the grading machine's disk filled up during the install "
                      "(No space left on device): free disk space on it, then grade again")
    if match := _PYTHON.search(log):
        return _found("python-version-mismatch", match.group(1),
                      f"{match.group(1)} requires Python {match.group(3)}; the sandbox has Python {match.group(2)}")
    if match := _NO_VERSION.search(log):
        requirement, versions = match.group(1), match.group(2).strip()
        ignored = _IGNORED_PYTHON.search(log)
        if ignored:
            return _found("python-version-mismatch", requirement,
                          f"no version of {requirement} supports the sandbox's Python {python} "
                          f"(versions for other Pythons: {ignored.group(1)[:200]})")
        if versions in {"", "none"} and _NETWORK.search(log):
            return _found("index-unreachable", requirement,
                          f"the package index could not be reached (or its certificate not trusted) for {requirement}")
        if versions in {"", "none"}:
            return _found("no-such-package", requirement, f"no package {requirement} on the package index")
        return _found("no-such-version", requirement,
                      f"no version of {requirement} matches; available: {_last_versions(versions)}")
    if match := _NO_MATCH.search(log):
        return _found("no-such-package", match.group(1), f"no distribution found for {match.group(1)}")
    if (match := _NOT_A_PACKAGE.search(log)) and plan is not None and plan.fallback is not None:
        what = next(g for g in match.groups() if g)
        return _found("project-not-a-package", plan.sources[0] if plan.sources else "",
                      f"{plan.sources[0] if plan.sources else 'the project'} describes a package pip cannot build "
                      f"from the repository ({what})")
    if match := _INSTALL_FAILED.search(log):
        name = (match.group(1) or match.group(2) or "").strip()
        built = _source_build(log, name, python) if _NO_COMPILER.search(log) or _HEADER.search(log) else None
        said = _own_message(log)
        return built or _found("install-failed", name, f"installing {name} failed"
                               + (f"; it says: {said}" if said else " (see the log's tail)"))
    if match := _FAILED_BUILD.search(log):
        name = (match.group(1) or match.group(2) or "").strip()
        return _source_build(log, name, python) or _found("build-failure", name,
                                                          f"building {name} failed (see the log's tail)")
    if match := _SUBPROCESS.search(log):
        name = match.group(2) or _last_collecting(log, plan)
        return _source_build(log, name, python) or _found(
            "build-failure", name, f"{match.group(1)} failed for {name} (see the log's tail)")
    if (match := _LOCAL_PATH.search(log)) and not (path := next(g for g in match.groups() if g)).startswith("/tmp/"):
        folder = _BUILD_FOLDER.search(path)
        name = folder.group(1) if folder else path
        what = f"`{name} @ file://{path}`" if folder else f"the path {path}"
        return _found("local-path", name, f"{what} points at a file of the machine the environment was frozen on, "
                      "which no other machine has")
    if match := _CONFLICT.search(log):
        return _found("dependency-conflict", (match.group(1) or "").strip(),
                      "the requirements conflict with each other (see the log's tail)")
    if match := _INVALID.search(log):
        return _found("invalid-requirement", (match.group(1) or match.group(2) or "").strip(),
                      "a line of the environment file is not a valid requirement")
    if _NETWORK.search(log):
        return _found("index-unreachable", "", "the package index could not be reached from the install container")
    return _found("install-failed", _last_collecting(log, plan), "pip failed (see the log's tail)")


def _source_build(log: str, name: str, python: str) -> PipDiagnosis | None:
    """A failed build of a package pip had to build from its source archive because no wheel fits this Python:
    named with its version, and with the missing C header when the compiler said which."""
    wanted = re.sub(r"[-_.]+", "-", name.split("==")[0].split()[0] if name else "").lower()
    for match in reversed(list(_SDIST.finditer(log))):
        if re.sub(r"[-_.]+", "-", match.group(1)).lower() != wanted:
            continue
        pinned = f"{match.group(1)}=={match.group(2)}"
        header = _HEADER.search(log)
        why = (f"the system header {header.group(1)} is missing in the sandbox" if header
               else "it needs a C compiler, which the sandbox does not have" if _NO_COMPILER.search(log)
               else "the build failed (see the log's tail)")
        return _found("no-wheel-for-python", pinned,
                      f"{pinned} has no wheel for Python {python} on Linux, and building it from source failed: "
                      f"{why}; a version with wheels for Python {python} would install")
    return None


def _own_message(log: str) -> str:
    """What the failing package itself said: its last exception, with the lines under it when the exception line
    holds no text (a package that raises a banner, like `tensorflow-gpu` telling users to install `tensorflow`)."""
    lines = [line.strip() for line in log.splitlines()]
    for index in range(len(lines) - 1, -1, -1):
        match = _RAISED.match(lines[index])
        if match is None or match.group(1) in {"subprocess-exited-with-error"}:
            continue
        text = match.group(2).strip()
        if not text:
            following = []
            for line in lines[index + 1:index + 12]:
                if line.startswith("[end of output]") or line.startswith("note:"):
                    break
                if line and not re.fullmatch(r"[=\-*#_~ ]+", line):
                    following.append(line)
            text = " ".join(following[:3])
        return text[:300]
    return ""


def _found(reason: str, requirement: str, explanation: str) -> PipDiagnosis:
    return PipDiagnosis(reason, requirement, explanation)


def _last_versions(versions: str, keep: int = 8) -> str:
    listed = [v.strip() for v in versions.split(",") if v.strip()]
    return ", ".join(listed[-keep:]) + (f" (and {len(listed) - keep} older)" if len(listed) > keep else "")


def _last_collecting(log: str, plan: InstallPlan | None) -> str:
    names = _COLLECTING.findall(log)
    if names:
        return str(names[-1])
    return plan.sources[0] if plan is not None and plan.sources else ""
