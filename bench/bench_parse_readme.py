"""Benchmark README parsing on hostile text against an ordinary README of the same format, in the same run.

Run as `python bench/bench_parse_readme.py [--repeat R]`. An ordinary README (~5 KB: titles, prose with links and
literals, code blocks) is parsed as Markdown and as reStructuredText; then hostile documents of up to 2 MB built to
hit each parser's worst case (unclosed backquotes, emphasis and brackets in one long paragraph, undefined
substitutions, deep nesting, a long grid table). Printed: the median seconds of each and its ratio to the ordinary
README of its format. The bounds in grader/analysis/readme keep every hostile case within a few seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.analysis.readme.document import DocumentError, parse_document  # noqa: E402 - the checkout's grader


def ordinary(kind: str) -> str:
    """A README of the usual shape and about 5 KB, in Markdown or reStructuredText."""
    parts = []
    for number in range(12):
        title = f"Section {number}"
        if kind == "md":
            parts.append(f"## {title}\n\nTrain with `python train.py --epochs {number}` and read [the notes]"
                         f"(docs/notes{number}.md) before you start.\n" * 3
                         + "\n```bash\npip install -r requirements.txt\npython train.py\n```\n")
        else:
            parts.append(f"{title}\n{'-' * len(title)}\n\nTrain with ``python train.py --epochs {number}`` and read "
                         f"`the notes <docs/notes{number}.rst>`_ before you start.\n" * 3
                         + "\n.. code-block:: bash\n\n   pip install -r requirements.txt\n   python train.py\n\n")
    return "\n".join(parts)


HOSTILE: dict[str, tuple[str, str]] = {
    "md: 60,000 [ in one paragraph": ("md", "[a " * 20_000),
    "md: 2 MB of backquotes": ("md", ("`a " * 100 + "\n") * 6_700),
    "md: nested quotes, 10,000 deep": ("md", "> " * 10_000 + "x\n"),
    "rst: 400 KB of unclosed ``": ("rst", ("``a " * 100 + "\n") * 1_000),
    "rst: 300 KB of unclosed *": ("rst", ("*a " * 100 + "\n") * 1_000),
    "rst: 400 KB of undefined |subst|": ("rst", ("|a| " * 100 + "\n") * 1_000),
    "rst: nested list, 3,000 deep": ("rst", "- " * 3_000 + "x\n"),
    "rst: 2 MB of prose": ("rst", ("Words ``code`` and `link <http://x.org>`_ here.\n" * 3 + "\n") * 15_000),
    "rst: 150 KB grid table of ``": ("rst", ("+" + "-" * 121 + "+\n" + ("| " + "``a " * 30 + "|\n") * 200) * 6),
}


def median_seconds(text: str, name: str, repeat: int) -> float:
    """Median wall time of parsing `text` as `name`, after one warm-up parse (a parse problem counts too)."""
    times = []
    for run in range(repeat + 1):
        started = time.perf_counter()
        with contextlib.suppress(DocumentError):  # nesting past docutils' limits ends as a parse problem
            parse_document(text, name)
        if run:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Print each hostile document's parse time next to the ordinary README's of its format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = {"md": "README.md", "rst": "README.rst"}
    baseline = {kind: median_seconds(ordinary(kind), files[kind], args.repeat) for kind in files}
    for kind, seconds in baseline.items():
        print(f"ordinary {kind:3} README ({len(ordinary(kind)):,} chars): {seconds * 1000:8.1f} ms")
    for label, (kind, text) in HOSTILE.items():
        seconds = median_seconds(text, files[kind], args.repeat)
        print(f"{label:36} {len(text):>10,} chars {seconds:7.2f} s  x{seconds / baseline[kind]:7.1f}")


if __name__ == "__main__":
    main()
