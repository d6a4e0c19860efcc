"""A fixed report used by the golden-file and escaping tests (hostile strings included on purpose)."""

from __future__ import annotations

from datetime import UTC, datetime

from grader.models import (
    CheckResult,
    CriterionResult,
    CriterionState,
    Finding,
    GradeReport,
    GradeState,
    RubricRef,
    Severity,
    Status,
    SubmissionInfo,
)
from grader.outcomes import RunOutcome, StepOutcome, StepStatus

HOSTILE = "<script>alert(1)</script> | **bold** `tick` \x1b[31mred\x1b[0m"


def sample_report(hostile: str = "plain text") -> GradeReport:
    """A two-criterion report with a failed required check, findings, a crashed check and a sandbox run."""
    return GradeReport(
        grader_version="0.1.0",
        generated_at=datetime(2026, 4, 1, 9, 30, tzinfo=UTC),
        rubric=RubricRef("dl4ad", "Deep Learning for Audio Data", "rubrics/dl4ad.yaml"),
        submission=SubmissionInfo("group-7", "https://git.example.org/group-7.git", "0123456789abcdef0123",
                                  datetime(2026, 3, 31, 21, 0, tzinfo=UTC), "main"),
        total=12.5,
        max_total=30.0,
        gate_passed=False,
        criteria=(
            CriterionResult("readme", "README", 12.5, 20.0, ("readme.present", "readme.links")),
            CriterionResult("execution", "Code runs", 0.0, 10.0, ("run.tests",), skipped=True),
        ),
        checks=(
            CheckResult("readme.present", "README present", Status.PASSED, 1.0, "README.md, 420 words",
                        {"path": "README.md", "words": 420}, required=True),
            CheckResult("readme.links", "Links resolve", Status.FAILED, 0.25, f"1 broken reference: {hostile}",
                        {"broken": ["requirements.txt"], "checked": 4},
                        (Finding(Severity.ERROR, f"requirements.txt is named but missing {hostile}", "README.md", 12),
                         Finding(Severity.WARNING, "image figures/arch.png not found", "README.md", 30)),
                        required=True),
            CheckResult("run.tests", "Tests pass", Status.ERROR, 0.0, "the check crashed: KeyError: 'x'",
                        detail="Traceback (most recent call last):\nKeyError: 'x'"),
        ),
        run=RunOutcome("grader-env:abc123", "requirements.txt", (
            StepOutcome("build", StepStatus.PASSED, 0, 8.25, "Successfully installed six", ""),
            StepOutcome("tests", StepStatus.TIMEOUT, None, 600.0, "", f"killed at the deadline {hostile}"),
        )),
        notes=(Finding(Severity.INFO, "symbolic link to '/etc/passwd' not followed", "data/passwd"),),
    )


def course_report() -> GradeReport:
    """A report on the bundled course rubric plus a manual criterion, scored as grader.scoring does: every check
    family, titles and summaries longer than 80 columns, more findings than a format shows, five sandbox steps."""
    passed, failed, skipped = Status.PASSED, Status.FAILED, Status.SKIPPED
    checks = (
        CheckResult("readme.present", "README present", passed, 1.0, "README.md, 612 words",
                    {"path": "README.md", "words": 612, "headings": 7}, required=True),
        CheckResult("readme.sections", "README sections", failed, 0.5, "missing: usage",
                    {"found": ["setup"], "missing": ["usage"]},
                    (Finding(Severity.ERROR, "no section on how to run the code (usage, how to run, training...)",
                             "README.md"),)),
        CheckResult("readme.commands", "README commands", passed, 1.0, "4 commands in 2 code blocks",
                    {"commands": 4}),
        CheckResult("readme.links", "README links and files", passed, 0.9, "9 of 10 references resolve",
                    {"checked": 10, "broken": ["figures/arch.png (line 40)"]},
                    (Finding(Severity.WARNING, "image figures/arch.png not found", "README.md", 40),)),
        CheckResult("env.file", "Environment file", passed, 1.0, "requirements.txt parses (14 packages)",
                    {"path": "requirements.txt", "kind": "requirements", "packages": 14}, required=True),
        CheckResult("env.pinned", "Pinned versions", failed, 0.3, "3 of 14 packages pinned (target 80%)",
                    {"pinned": 3, "packages": 14, "pinned_ratio": 0.21}),
        CheckResult("env.imports-declared", "Imports declared", failed, 0.58,
                    "12 imported distributions, 5 not declared in requirements.txt: librosa, soundfile, "
                    "torchaudio, tqdm, wandb",
                    {"missing": ["librosa", "soundfile", "torchaudio", "tqdm", "wandb"], "unused": []},
                    tuple(Finding(Severity.ERROR, f"`{name}` is imported but not declared", "src/train.py", line)
                          for line, name in enumerate(
                              ("librosa", "soundfile", "torchaudio", "tqdm", "wandb", "librosa.display",
                               "soundfile.info", "torchaudio.transforms", "tqdm.auto", "wandb.sdk", "wandb.apis",
                               "librosa.feature"), start=3))),
        CheckResult("code.comments", "Comment density", passed, 1.0, "comment ratio 0.24 (target 0.15)",
                    {"comment_ratio": 0.24, "commented_out_lines": 0}),
        CheckResult("code.docstrings", "Docstrings", failed, 0.62, "21 of 34 public functions documented",
                    {"coverage": 0.62}),
        CheckResult("code.pylint", "Pylint score", passed, 0.85, "pylint 8.5/10", {"score": 8.5}),
        CheckResult("paper.present", "Paper PDF present", passed, 1.0, "paper/final.pdf", {"path": "paper/final.pdf"},
                    required=True),
        CheckResult("paper.pages", "Paper page limit", failed, 0.0,
                    "5 pages, limit 4 (the last holds only references, which this rubric does not allow)",
                    {"path": "paper/final.pdf", "pages": 5, "content_pages": 4, "limit": 4,
                     "references_only_last_page": True, "page_images": ["paper/page-1.png", "paper/page-2.png"]},
                    required=True),
        CheckResult("paper.template", "Paper template", passed, 1.0, "IEEEtran conference",
                    {"family": "ieeetran-conference"}),
        CheckResult("paper.fonts", "Paper fonts embedded", passed, 1.0, "all 9 fonts embedded", {"fonts": 9}),
        CheckResult("paper.margins", "Paper margins", passed, 1.0, "no text or figure in the margins", {}),
        CheckResult("run.build", "Environment builds", passed, 1.0, "requirements.txt installed in 212.4 s",
                    {"kind": "requirements"}, required=True),
        CheckResult("run.imports", "Every module imports", failed, 0.75, "1 of 4 modules fails to import",
                    {"modules": 4, "failed": 1},
                    (Finding(Severity.ERROR, "ModuleNotFoundError: No module named 'wandb'", "src/train.py", 9),)),
        CheckResult("run.smoke", "Smoke command runs", failed, 0.0, "`python train.py --epochs 1` timed out",
                    {"commands": 1}),
        CheckResult("run.tests", "Tests pass", skipped, 0.0, "no tests found", {}),
        CheckResult("run.notebooks", "Notebooks execute", skipped, 0.0, "no notebooks", {}),
        CheckResult("repo.deadline", "Deadline commit", passed, 1.0, "graded commit 1a2b3c4d5e6f at the deadline",
                    {"late_commits": 0}),
        CheckResult("repo.contributions", "Contributions per author", failed, 0.75,
                    "3 of 4 members committed", {"members_without_commits": ["Dana Doe"]},
                    (Finding(Severity.ERROR, "Dana Doe has no commit in the graded history"),)),
        CheckResult("repo.hygiene", "Repository hygiene", passed, 0.8, "1 checkpoint committed",
                    {"checkpoints": ["model.pt"]},
                    (Finding(Severity.WARNING, "checkpoint model.pt (48 MB) is committed", "model.pt"),)),
    )

    def family(prefix: str) -> tuple[str, ...]:
        return tuple(c.id for c in checks if c.id.startswith(prefix))

    criteria = (
        CriterionResult("readme", "README with step-by-step instructions", 16.33, 20.0, family("readme.")),
        CriterionResult("environment", "Environment setup file", 11.75, 15.0, family("env.")),
        CriterionResult("code", "Well-commented source code", 12.27, 15.0, family("code.")),
        CriterionResult("paper", "Paper (at most 4 pages, IEEE conference template)", 14.0, 20.0,
                        family("paper.")),
        CriterionResult("execution", "Code builds and runs", 12.86, 20.0, family("run.")),
        CriterionResult("repository", "Repository (deadline, contributions, hygiene)", 8.38, 10.0,
                        family("repo.")),
        CriterionResult("presentation", "Presentation", 0.0, 10.0, skipped=True, manual=True,
                        state=CriterionState.PENDING, reasons=("no score for it in the scores file yet",)),
    )
    return GradeReport(
        grader_version="0.1.0",
        generated_at=datetime(2026, 4, 2, 8, 0, tzinfo=UTC),
        rubric=RubricRef("dl4ad", "Deep Learning for Audio Data", "rubrics/dl4ad.yaml"),
        submission=SubmissionInfo("group-12", "https://git.example.org/dl4ad/group-12.git",
                                  "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", datetime(2026, 3, 31, 21, 59, tzinfo=UTC),
                                  "main"),
        total=75.59,
        max_total=110.0,
        gate_passed=False,
        criteria=criteria,
        checks=checks,
        run=RunOutcome("grader-env:9f8e7d6c", "requirements.txt", (
            StepOutcome("build", StepStatus.PASSED, 0, 212.4, "Successfully installed torch-2.3.0", ""),
            StepOutcome("imports", StepStatus.FAILED, 1, 6.1, "", "ModuleNotFoundError: No module named 'wandb'"),
            StepOutcome("smoke[1]", StepStatus.TIMEOUT, None, 600.0, "epoch 1/1  12%", ""),
            StepOutcome("tests", StepStatus.SKIPPED, None, 0.0, "", ""),
            StepOutcome("notebooks", StepStatus.SKIPPED, None, 0.0, "", ""),
        )),
        state=GradeState.PROVISIONAL,
        state_reasons=("presentation pending: no score for it in the scores file yet",),
    )
