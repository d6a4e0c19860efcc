"""The `grader` command line: one group, one module per verb, one place that maps errors to exit codes."""

from __future__ import annotations

import sys
import traceback

import click

from grader import __version__
from grader.cli.check import check_command
from grader.cli.grade import grade_command
from grader.cli.info import checks_command, render_command, rubric_group
from grader.cli.sandbox import sandbox_group
from grader.errors import GraderError

EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="grader")
def cli() -> None:
    """Grade student software projects against a rubric, with evidence.

    \b
    Students and CI:   grader check [PATH]          grade one checkout (default: .)
    Lecturers:         grader grade ROSTER -o OUT    clone and grade every group at the deadline
    Everyone:          grader render report.json --format html -o DIR
                       grader checks                 list every check id
                       grader rubric validate FILE   check a rubric before using it

    The same engine and rubric give the same verdict in all three uses. Checks read the README, the
    environment file, the code and comments, the paper PDF and the git history; unless --static is given,
    the code is also built and run in a Docker sandbox (install, imports, smoke command, tests, notebooks,
    the README's own commands).

    \b
    Exit codes: 0 graded and every required check holds; 1 graded but a required check failed (or the
    total is under --fail-under); 2 usage or configuration error; 3 the grader could not grade (an
    infrastructure error such as Docker going away, or a bug in grader: please report it).
    NO_COLOR is honoured; progress goes to stderr, reports to stdout or to -o DIR.
    """


cli.add_command(check_command)
cli.add_command(grade_command)
cli.add_command(render_command)
cli.add_command(checks_command)
cli.add_command(rubric_group)
cli.add_command(sandbox_group)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command line and map every outcome to the documented exit codes."""
    try:
        code = cli.main(args=argv, prog_name="grader", standalone_mode=False)
    except GraderError as exc:
        click.echo(f"grader: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("grader: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code not in (0, 1) else exc.exit_code)
    except KeyboardInterrupt:
        click.echo("grader: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception:
        click.echo("grader: internal error (a bug in grader; please report it with this output):", err=True)
        click.echo(traceback.format_exc(), err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
