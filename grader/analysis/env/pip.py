"""pip's requirement syntax: PEP 508 lines, requirements files with their includes, `pip install` command lines."""

from __future__ import annotations

import os
import posixpath
import re
import shlex

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PepRequirement
from packaging.specifiers import InvalidSpecifier

from grader.analysis.env.model import EnvFile, EnvKind, EnvProblem, Pin, Requirement, pep440_pin
from grader.files import SubmissionTree

#: A freeze has many packages, nearly all exact: transitive packages are listed, so "unused" means nothing there.
FREEZE_MIN_PACKAGES = 25
_FREEZE_MIN_EXACT = 0.9

#: Deepest `-r` chain followed; deeper is a warning (real files rarely nest more than twice).
_MAX_INCLUDE_DEPTH = 8

#: Packages that describe the interpreter or the installer, not the project's dependencies.
NOT_DEPENDENCIES = frozenset({"python", "pip"})


def parse_pep508(text: str, path: str, line: int | None) -> Requirement | None:
    """A PEP 508 string as a Requirement; None if it does not parse."""
    try:
        req = PepRequirement(text)
    except (InvalidRequirement, InvalidSpecifier):
        # packaging 26 lets `x===0,~=0` past its grammar and then raises InvalidSpecifier, not InvalidRequirement.
        return None
    spec = str(req.specifier)
    pin = pep440_pin(spec)
    if req.url:
        # A direct reference names one artefact, unless it is a moving git branch.
        # `name @ file:///...` is what `pip freeze` writes in a conda environment: one local build, exactly.
        exact = req.url.startswith("file:") or re.search(r"(@[0-9a-f]{7,40}$|\.whl$|\.tar\.gz$|\.zip$)", req.url)
        pin = Pin.EXACT if exact else Pin.NONE
    return Requirement(
        name=req.name,
        specifier=spec or (f"@ {req.url}" if req.url else ""),
        marker=str(req.marker) if req.marker else None,
        path=path,
        line=line,
        pin=pin,
    )


def looks_frozen(reqs: list[Requirement]) -> bool:
    """Whether a requirement list reads like `pip freeze` output (many packages, nearly all exact)."""
    exact = sum(r.pin is Pin.EXACT for r in reqs)
    return len(reqs) >= FREEZE_MIN_PACKAGES and exact >= _FREEZE_MIN_EXACT * len(reqs)


# -- requirements.txt --------------------------------------------------------------------------------------------

_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
#: pip options that take a value (an index URL, a folder...), so the next word is not a package.
OPTIONS_WITH_VALUE = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host",
                      "--use-feature", "--config-settings", "--global-option", "-Z")


def parse_requirements_file(tree: SubmissionTree, rel: str, text: str) -> EnvFile:
    """A pip requirements file with its `-r` / `-c` includes followed inside the checkout (cycles stopped)."""
    reqs: list[Requirement] = []
    includes: list[str] = []
    warnings: list[EnvProblem] = []
    installs_project = _parse_requirements_text(tree, rel, text, reqs, includes, warnings, (rel,))
    warnings += local_file_problems(rel, reqs)
    return EnvFile(
        rel,
        EnvKind.REQUIREMENTS,
        requirements=tuple(reqs),
        includes=tuple(includes),
        warnings=tuple(warnings),
        frozen=looks_frozen(reqs),
        installs_project=installs_project,
    )


def local_file_problems(rel: str, reqs: list[Requirement]) -> list[EnvProblem]:
    """One warning for requirements that point at files on the author's machine (they install nowhere else)."""
    local = [r for r in reqs if r.specifier.startswith("@ file:")]
    if not local:
        return []
    names = ", ".join(r.name for r in local[:4]) + (", ..." if len(local) > 4 else "")
    return [EnvProblem(local[0].path or rel, local[0].line, f"{len(local)} requirement(s) point at local files "
                       f"(file://, as `pip freeze` writes in conda): {names}; they will not install elsewhere: write "
                       "`name==version` instead (`pip list --format=freeze` does)")]


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with comments removed and backslash continuations joined, with their first line number."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            out.append((start, full))
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def _parse_requirements_text(
    tree: SubmissionTree,
    rel: str,
    text: str,
    reqs: list[Requirement],
    includes: list[str],
    warnings: list[EnvProblem],
    chain: tuple[str, ...],
) -> bool:
    installs_project = False
    for number, line in logical_lines(text):
        option = re.match(r"^(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)", line)
        if option:
            _follow_include(tree, rel, number, option.group(2), reqs, includes, warnings, chain)
            continue
        editable = re.match(r"^(-e|--editable)(?:\s+|=)(\S+)", line)
        target = editable.group(2) if editable else line
        if target in (".", "./") or re.match(r"^\.{1,2}(/[^\s]*)?(\[.*\])?$", target):
            installs_project = True
            continue
        if line.startswith("-"):
            known = (*OPTIONS_WITH_VALUE, "--pre", "--no-", "--only-", "--prefer")
            if not line.startswith(known):
                warnings.append(EnvProblem(rel, number, f"unknown option line {line[:60]!r}"))
            continue
        line = re.sub(r"\s--hash[=\s]\S+", "", line)
        egg = _EGG.search(target)
        if editable or (egg and "://" in target):
            name = egg.group(1) if egg else target.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
            reqs.append(Requirement(name=name, specifier=f"@ {target}", path=rel, line=number, pin=Pin.NONE))
            continue
        req = parse_pep508(line, rel, number)
        if req is None:
            warnings.append(EnvProblem(rel, number, f"not a requirement: {line[:60]!r}"))
        elif req.key not in NOT_DEPENDENCIES:
            reqs.append(req)
    return installs_project


def _follow_include(
    tree: SubmissionTree,
    rel: str,
    number: int,
    target: str,
    reqs: list[Requirement],
    includes: list[str],
    warnings: list[EnvProblem],
    chain: tuple[str, ...],
) -> None:
    base = posixpath.dirname(rel)
    joined = posixpath.normpath(posixpath.join(base, target))
    if target.startswith(("/", "~")) or "://" in target or joined.startswith(".."):
        warnings.append(EnvProblem(rel, number, f"include {target!r} points outside the checkout; not followed"))
        return
    if joined in chain:
        warnings.append(EnvProblem(rel, number, f"include cycle through {joined!r}; not followed again"))
        return
    if len(chain) > _MAX_INCLUDE_DEPTH:
        warnings.append(EnvProblem(rel, number, f"includes nested too deeply; {joined!r} not followed"))
        return
    if not tree.exists(joined):
        # lexists never follows the link, it only tells a dangling or hostile link from a missing file.
        why = "is a link, not followed" if os.path.lexists(tree.root / joined) else "does not exist"
        warnings.append(EnvProblem(rel, number, f"included file {joined!r} {why}"))
        return
    text = tree.read_text(joined)
    if text is None:
        warnings.append(EnvProblem(rel, number, f"included file {joined!r} could not be read"))
        return
    if joined not in includes:
        includes.append(joined)
    _parse_requirements_text(tree, joined, text, reqs, includes, warnings, (*chain, joined))



# -- install commands ------------------------------------------------------------------------------------------


def install_command_requirements(line: str, path: str, number: int | None) -> list[Requirement]:
    """Packages named by a `pip install ...` / `conda install ...` command on one line (options and files skipped)."""
    match = re.search(r"\b(?:pip3?|conda|mamba|uv pip|poetry add)\s+(?:install|add)\s+([^&|;#`]*)", line)
    if match is None:
        return []
    try:
        words = shlex.split(match.group(1))
    except ValueError:
        words = match.group(1).split()
    reqs: list[Requirement] = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
            continue
        if word.startswith("-"):
            skip_next = word in ("-r", "-c", "-e", "-i", "-f", "-c", "--channel", "-n", "--name", *OPTIONS_WITH_VALUE)
            continue
        if word in (".", "..") or "/" in word or word.endswith((".txt", ".yml", ".yaml", ".whl")):
            continue
        req = parse_pep508(word, path, number)
        if req is not None and req.key not in NOT_DEPENDENCIES:
            reqs.append(req)
    return reqs
