"""Source-code checks: comments, docstrings, pylint score."""

from __future__ import annotations

from pydantic import Field

from grader.analysis.code.comments import FileComments, comment_analysis
from grader.analysis.code.docstrings import DocstringRules, inventory
from grader.analysis.code.lint import CATEGORIES, run_pylint
from grader.analysis.code.source import SourceUnit, python_sources
from grader.analysis.code.vendored import VendoredCode, ownership, vendored_code
from grader.checks.base import AnyCheck, Check, CheckContext, CheckOptions, finding
from grader.models import CheckResult, Finding, Measurement, Severity, Status
from grader.outcomes import BuildResult, RunOutcome, StepName

#: Said in every code check's description: what is left out as vendored, and when the sandbox refines it.
_VENDORED = (" Vendored copies of other projects are left out and listed (after the sandbox's install, also files "
             "identical to an installed distribution's).")
#: Most findings of one kind listed in a report.
_MAX_FINDINGS = 10
#: Files shown in the per-file figures of code.comments.
_WORST_FILES = 5
#: Files with fewer code lines than this are too small to rank as "worst commented".
_MIN_RANKED_LINES = 20


def _parse_failures(units_with_errors: list[tuple[str, str, int | None]]) -> list[Finding]:
    return [finding(f"{error}; not analysed as Python", path, line, Severity.WARNING)
            for path, error, line in units_with_errors[:_MAX_FINDINGS]]


def _own_code(ctx: CheckContext) -> tuple[list[SourceUnit], VendoredCode]:
    """The group's own sources, vendored copies left out (decided with who the group is and, once the sandbox has
    run, with the files it found identical to an installed distribution's), and the vendored parts."""
    vendored = vendored_code(ctx.tree, ownership(ctx.submission, _installed_copies(ctx.run)))
    return python_sources(ctx.tree, vendored), vendored


def _installed_copies(run: RunOutcome | None) -> dict[str, tuple[str, str]]:
    """The submission's files identical to an installed distribution's, by path (none under --static)."""
    build = run.step(StepName.BUILD) if run is not None else None
    detail = build.detail if build is not None else None
    if not isinstance(detail, BuildResult):
        return {}
    return {c.path: (c.distribution, c.file) for c in detail.installed_copies}


def _vendored_report(vendored: VendoredCode, units: list[SourceUnit]) -> tuple[list[Measurement], list[Finding]]:
    """The vendored parts as a measurement and as findings, so nothing is left out silently; plus notebook cells
    that were not as nbformat says."""
    listed: list[Measurement] = [{"path": p.path, "reason": p.reason, "excluded": p.excluded}
                                 for p in vendored.parts]
    findings = [finding(f"left out as vendored code: {p.reason}" if p.excluded else f"{p.reason}; if so, say in the "
                        "README which parts are your own", None if p.path == "." else p.path,
                        severity=Severity.WARNING)
                for p in vendored.parts[:_MAX_FINDINGS]]
    findings += [finding(problem, u.path, severity=Severity.WARNING)
                 for u in units for problem in u.problems][:_MAX_FINDINGS]
    return listed, findings


class CodeCommentsOptions(CheckOptions):
    """How much documentation per line of code earns full score, and how much commented-out code is tolerated."""

    target_ratio: float = Field(0.2, gt=0, description="documentation lines per code line that earn full score")
    commented_out_allowance: float = Field(
        0.05, ge=0, le=1, description="commented-out lines per code line tolerated before the score drops"
    )


class CodeCommentsCheck(Check[CodeCommentsOptions]):
    """code.comments: documentation density, with commented-out code reported apart and never counted."""

    id = "code.comments"
    title = "Comment density"
    description = (
        "Prose comments, docstrings and notebook markdown per line of code; commented-out code (comments or "
        "strings that parse as Python) is reported separately, never counted, and lowers the score." + _VENDORED
    )
    refined_by_run = True

    def run(self, ctx: CheckContext) -> CheckResult:
        """Sum every unit's figures; the ratio is scaled down by commented-out code beyond the allowance."""
        options = self.options
        units, vendored = _own_code(ctx)
        files = comment_analysis(ctx.tree, vendored)
        listed, notes = _vendored_report(vendored, units)
        if not files:
            return self.by_choice("no Python code or notebooks of the group's own",
                                  {"comment_ratio": None, "code_lines": 0, "vendored": listed})
        code = sum(f.code_lines for f in files)
        doc = sum(f.documentation_lines for f in files)
        dead = sum(f.commented_out_lines for f in files)
        ratio = doc / code if code else 0.0
        excess = max(0.0, dead - options.commented_out_allowance * code)
        # 500 commented-out lines next to 60 lines of code leave about a tenth of the score.
        dead_factor = code / (code + excess) if code else 0.0
        score = min(1.0, ratio / options.target_ratio) * dead_factor
        measurements: dict[str, Measurement] = {
            "comment_ratio": round(ratio, 3),
            "code_lines": code,
            "comment_lines": sum(f.comment_lines for f in files),
            "docstring_lines": sum(f.docstring_lines for f in files),
            "markdown_lines": sum(f.markdown_lines for f in files),
            "documentation_lines": doc,
            "commented_out_lines": dead,
            "commented_out_blocks": sum(len(f.blocks) for f in files),
            "decoration_lines": sum(f.decoration_lines for f in files),
            "files": len(files),
            "unparsable_files": [f.path for f in files if f.error],
            "worst_files": _worst(files),
            "vendored": listed,
        }
        findings = _parse_failures([(f.path, f.error, f.error_line) for f in files if f.error]) + notes
        blocks = sorted((b for f in files for b in f.blocks), key=lambda b: (-b.lines, b.path, b.start))
        for block in blocks[:_MAX_FINDINGS]:
            where = f"lines {block.start}-{block.end}" if block.lines > 1 else f"line {block.start}"
            in_notebook = block.location != f"{block.path}:{block.start}"
            findings.append(finding(
                f"{block.lines} line(s) of commented-out code ({block.location if in_notebook else where}); "
                "delete it (git keeps history)", block.path, None if in_notebook else block.start, Severity.WARNING,
            ))
        status = Status.PASSED if score >= 0.5 else Status.FAILED
        if score < 1.0 and ratio < options.target_ratio:
            findings.append(_comment_advice(files, options.target_ratio, Severity.WARNING if score < 0.5
                                            else Severity.INFO))
        summary = f"{ratio:.2f} documentation lines per code line over {code} code lines"
        if dead:
            summary += f"; {dead} lines of commented-out code"
        return self.result(status, score, summary, measurements, findings)


def _comment_advice(files: list[FileComments], target: float, severity: Severity) -> Finding:
    """Where to comment first: the longest functions without a comment, else the least commented files."""
    bare = sorted((f for unit in files for f in unit.bare_functions), key=lambda f: (-f.lines, f.path, f.line))
    if bare:
        named = ", ".join(f"{f.location} {f.name}() ({f.lines} lines)" for f in bare[:3])
        return finding(f"add comments that say why, not what (the reasoning, shapes, units, choices), to the longest "
                       f"functions without any: {named}", bare[0].path, bare[0].line
                       if bare[0].location.endswith(f":{bare[0].line}") else None, severity)
    worst = _worst(files) or [{"path": f.path} for f in files[:1]]
    named = ", ".join(str(w["path"]) for w in worst[:3] if isinstance(w, dict))
    return finding(f"add comments that say why, not what, until about {target:.2f} lines of documentation per line "
                   f"of code; the least commented files first: {named}", None, None, severity)


def _worst(files: list[FileComments]) -> list[Measurement]:
    ranked = sorted((f for f in files if f.code_lines >= _MIN_RANKED_LINES),
                    key=lambda f: (f.documentation_lines / f.code_lines, -f.code_lines, f.path))
    return [
        {"path": f.path, "code_lines": f.code_lines, "documentation_lines": f.documentation_lines,
         "comment_ratio": round(f.documentation_lines / f.code_lines, 3), "commented_out_lines": f.commented_out_lines}
        for f in ranked[:_WORST_FILES]
    ]


class CodeDocstringsOptions(CheckOptions):
    """Which share of documented items earns full score, and what is left out of the count."""

    target: float = Field(0.75, gt=0, le=1, description="share of documented modules/classes/functions for full score")
    include_private: bool = Field(False, description="also count _private classes and functions")
    min_function_lines: int = Field(3, ge=1, description="functions shorter than this (def line included) are trivial")


class CodeDocstringsCheck(Check[CodeDocstringsOptions]):
    """code.docstrings: share of modules, classes and functions that carry a docstring."""

    id = "code.docstrings"
    title = "Docstrings"
    description = (
        "Share of .py modules, classes and functions with a docstring (notebook defs count, notebooks themselves "
        "do not). Left out: dunder methods (the class docstring covers them), _private names, nested functions, "
        "functions under 3 lines, pytest tests, import-only modules. A string placed before a def is reported."
        + _VENDORED
    )
    refined_by_run = True

    def run(self, ctx: CheckContext) -> CheckResult:
        """Inventory every parsed unit and score the documented share against the target."""
        options = self.options
        units, vendored = _own_code(ctx)
        found = inventory(units, DocstringRules(options.include_private, options.min_function_lines))
        listed, notes = _vendored_report(vendored, [])
        findings = _parse_failures([(u.path, u.error, u.error_line) for u in units if u.error]) + notes
        for bad in found.misplaced[:_MAX_FINDINGS]:
            findings.append(finding(f"string before def {bad.name}; move it inside as a docstring"
                                    + ("" if bad.location.endswith(f":{bad.line}") else f" ({bad.location})"),
                                    bad.path, bad.line if bad.location.endswith(f":{bad.line}") else None,
                                    Severity.WARNING))
        items = found.items
        if not units:
            return self.by_choice("no Python code or notebooks", {"coverage": None, "total": 0})
        if not items:
            return self.skipped("nothing to document (no modules, classes or functions)",
                                {"coverage": None, "total": 0, "excluded": dict(found.excluded), "vendored": listed})
        documented = sum(i.documented for i in items)
        coverage = documented / len(items)
        measurements: dict[str, Measurement] = {"coverage": round(coverage, 3), "documented": documented,
                                                "total": len(items)}
        for kind, plural in (("module", "modules"), ("class", "classes"), ("function", "functions")):
            of_kind = [i for i in items if i.kind == kind]
            measurements[f"{plural}_total"] = len(of_kind)
            measurements[f"{plural}_documented"] = sum(i.documented for i in of_kind)
        measurements["strings_before_def"] = len(found.misplaced)
        measurements["excluded"] = dict(found.excluded)
        measurements["vendored"] = listed
        undocumented = sorted((i for i in items if not i.documented), key=lambda i: (-i.lines, i.path, i.line))
        for item in undocumented[:_MAX_FINDINGS]:
            in_notebook = item.location != f"{item.path}:{item.line}"
            label = item.kind if item.kind == "module" else f"{item.kind} {item.name}"
            findings.append(finding(f"{label} ({item.lines} lines) has no docstring: add one that says what it "
                                    "does" + (" and what it returns" if item.kind == "function" else "")
                                    + (f" ({item.location})" if in_notebook else ""),
                                    item.path, None if in_notebook else item.line, Severity.INFO))
        score = min(1.0, coverage / options.target)
        status = Status.PASSED if score >= 0.5 else Status.FAILED
        summary = f"{documented} of {len(items)} modules, classes and functions documented ({coverage:.0%})"
        if status is Status.FAILED:
            longest = ", ".join(f"{i.path} (the module)" if i.kind == "module" else f"{i.location} {i.name}()"
                                for i in undocumented[:3])
            summary += f"; add a one-line docstring to each, the longest first: {longest}"
        return self.result(status, score, summary, measurements, findings)


class CodePylintOptions(CheckOptions):
    """Pylint score that earns full marks, and the limits of the pylint run."""

    target: float = Field(8.0, gt=0, le=10, description="pylint score (0-10) that earns full score")
    timeout: float = Field(300.0, gt=0, description="seconds pylint may run before it is stopped")
    jobs: int = Field(0, ge=0, description="pylint worker processes (0: one per CPU; 1 for small hand-ins)")


class CodePylintCheck(Check[CodePylintOptions]):
    """code.pylint: pylint's score over the group's code, run in a child process with our own configuration."""

    id = "code.pylint"
    title = "Pylint score"
    description = (
        "Pylint's 0-10 score over the .py files and notebooks' code (our rcfile: docstrings, unresolved imports "
        "and research-code naming are not counted); the student's pylint configuration is never read." + _VENDORED
    )
    refined_by_run = True

    def run(self, ctx: CheckContext) -> CheckResult:
        """Lint every unit that parses; files that do not parse are reported, not linted."""
        options = self.options
        units, vendored = _own_code(ctx)
        parsed = [u for u in units if u.module is not None and u.code.strip()]
        listed, notes = _vendored_report(vendored, [])
        findings = _parse_failures([(u.path, u.error, u.error_line) for u in units if u.error]) + notes
        if not units:
            return self.by_choice("no Python code or notebooks of the group's own", {"score": None, "files": 0})
        if not parsed:
            # Code that does not parse (Python 2, a broken notebook) is the group's to fix, not nothing to judge.
            first = next(u for u in units if u.error)
            how = (f"`python3 -m py_compile {first.path}` shows the first error" if first.kind == "py"
                   else "run its cells in order in a Python 3 kernel to see the first error")
            findings.append(finding(f"fix the syntax at the lines named so that the code parses as Python 3 ({how})",
                                    first.path, first.error_line))
            return self.result(Status.FAILED, 0.0, f"none of the {len(units)} Python files and notebooks parses",
                               {"score": None, "files": 0}, findings)
        # Worker processes cost more than they save on a handful of files.
        jobs = options.jobs or (1 if len(parsed) < 8 else 0)
        # Graded again once the sandbox has run: pylint runs again only when installed copies changed the files.
        report = ctx.tree.memo(f"code.pylint:{vendored.key}:{options.timeout}:{jobs}",
                               lambda: run_pylint(parsed, options.timeout, jobs))
        if report.score is None:
            measurements: dict[str, Measurement] = {"score": None, "files": len(parsed),
                                                    "timed_out": report.timed_out}
            findings.insert(0, finding((report.error or "pylint failed") + (
                "; split the largest files or leave generated and vendored code out of the repository"
                if report.timed_out else "")))
            return self.result(Status.ERROR if not report.timed_out else Status.FAILED, 0.0,
                               report.error or "pylint failed", measurements, findings)
        by_location = {u.path: u for u in parsed}
        order = {c: i for i, c in enumerate(CATEGORIES)}
        ranked = sorted(report.messages, key=lambda m: (order.get(m.category, 9), m.unit, m.line))
        for msg in ranked[:_MAX_FINDINGS]:
            unit = by_location[msg.unit]
            severity = Severity.ERROR if msg.category in ("fatal", "error") else Severity.WARNING
            if unit.kind == "ipynb":
                findings.append(finding(f"{msg.symbol}: {msg.message} ({unit.location(msg.line)})", msg.unit,
                                        None, severity))
            else:
                findings.append(finding(f"{msg.symbol}: {msg.message}", msg.unit, msg.line, severity))
        symbols: dict[str, int] = {}
        for msg in report.messages:
            symbols[msg.symbol] = symbols.get(msg.symbol, 0) + 1
        top = sorted(symbols.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_FINDINGS]
        measurements = {"score": round(report.score, 2), "files": len(parsed), "messages": dict(report.counts),
                        "top_symbols": dict(top), "timed_out": False, "vendored": listed}
        score = min(1.0, max(0.0, report.score) / options.target)
        status = Status.PASSED if score >= 0.5 else Status.FAILED
        if top and score < 1.0:
            most = ", ".join(f"{symbol} ({count}x)" for symbol, count in top[:3])
            findings.insert(0, finding(f"fix the most frequent messages first: {most}; run `pylint` on your files to "
                                       "see each one with its line",
                                       severity=Severity.WARNING if score < 0.5 else Severity.INFO))
        return self.result(status, score, f"pylint {report.score:.2f}/10 over {len(parsed)} file(s)",
                           measurements, findings)


#: This family's checks, in the order `grader checks` lists them.
CHECKS: tuple[type[AnyCheck], ...] = (CodeCommentsCheck, CodeDocstringsCheck, CodePylintCheck)
