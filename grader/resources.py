"""The data grader ships beside its code: the course rubrics and the sandbox's base image definitions.

`rubrics/` and `sandboxes/` stay at the top of the repository as the source of truth; the wheel carries them as
`grader/_data/rubrics` and `grader/_data/sandboxes` (see pyproject.toml), read here with importlib.resources.
A source checkout or an editable install has no `_data` and reads the top-level folders instead.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

from grader.errors import GraderError

Bundle = Literal["rubrics", "sandboxes"]


def bundled(name: Bundle) -> Path:
    """The folder of bundled data `name`, as a real path (Docker builds and tarballs need one)."""
    packaged = files("grader") / "_data" / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise GraderError(
        f"grader's bundled {name}/ folder is missing (looked in {packaged} and {checkout}); reinstall grader"
    )
