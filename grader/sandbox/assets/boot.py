"""Sandbox boot, run by the group's interpreter: start pytest or the notebook kernel with the grader's copy of it on
sys.path, after the group's own packages (group-first, so the group's pins win for what its code imports) or, when
the group's pins break the grader's copy, before them (tools-first).

    boot.py pytest ORDER [pytest arguments...]     python -m pytest semantics: the working folder first on sys.path
    boot.py kernel ORDER -f CONNECTION_FILE        an IPython kernel for nbclient
    boot.py check-pytest ORDER | check-kernel ORDER   import, and check the tool's own requirements against what
                                                      this order imports; print where it came from (the preflight)
"""

from __future__ import annotations

import os
import runpy
import sys

EXTRA = {"pytest": "/opt/grader-pytest", "kernel": "/opt/grader-kernel"}
MODULE = {"pytest": "pytest", "kernel": "ipykernel.kernelapp"}
#: The distribution whose requirements must hold where the tool is imported from.
DISTRIBUTION = {"pytest": "pytest", "kernel": "ipykernel"}


def _arrange(tool: str, order: str) -> None:
    """The script's own folder off sys.path (as `python -m` would have it), the grader's copy on at its place."""
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == here:
        del sys.path[0]
    extra = EXTRA[tool]
    if not os.path.isdir(extra):
        return
    if order == "group-first":
        sys.path.append(extra)
        return
    sites = [i for i, p in enumerate(sys.path) if p.endswith(("site-packages", "dist-packages"))]
    sys.path.insert(sites[0] if sites else len(sys.path), extra)


def _unmet(distribution: str) -> list[str]:
    """The requirements of the tool's distribution that the packages found first on sys.path do not meet: an
    import can succeed where the tool then fails at run time (ipykernel 6 imports on IPython 7.16 and hangs its
    first cell). Empty when they are met or cannot be read (the import's verdict stands then)."""
    try:
        from importlib import metadata

        from packaging.requirements import Requirement

        unmet = []
        for line in metadata.requires(distribution) or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            try:
                found = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                unmet.append(f"{requirement.name} missing")
                continue
            if not requirement.specifier.contains(found, prereleases=True):
                unmet.append(f"{requirement.name} {found} (needs {requirement.specifier})")
        return unmet
    except Exception:  # an unreadable or ancient metadata stack: the import decided
        return []


def main() -> None:
    """Dispatch on the mode; arguments after the order go to the tool."""
    mode, order, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    tool = mode[len("check-"):] if mode.startswith("check-") else mode
    _arrange(tool, order)
    if mode.startswith("check-"):
        try:
            module = __import__(MODULE[tool], fromlist=["_"])
        except BaseException as exc:  # the group's environment may break the import in any way
            print(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            sys.exit(3)
        top = sys.modules[MODULE[tool].split(".")[0]]
        unmet = _unmet(DISTRIBUTION[tool])
        if unmet:
            print(f"{top.__name__} {getattr(top, '__version__', '?')} needs what this order does not give: "
                  f"{', '.join(unmet[:4])}")
            sys.exit(3)
        print(f"{top.__name__} {getattr(top, '__version__', '?')} from {os.path.dirname(module.__file__ or '?')}")
        return
    if tool == "pytest":
        sys.path.insert(0, os.getcwd())
        sys.argv = [sys.argv[0], *args]
        runpy.run_module("pytest", run_name="__main__", alter_sys=True)
        return
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=args)


if __name__ == "__main__":
    main()
