"""Benchmark: a real deep-learning stack (torch, torchaudio, librosa, pinned, from the configured index), installed
for several groups, without and with the course layer.

Run as `python bench/bench_heavy.py [--groups 4] [--cache DIR]`; needs a Docker Engine, the package index and
about 20 GB of free disk (torch from PyPI is a CUDA build: about 3 GB to download, 6 GB installed). Each scenario:

- group 1 installs the stack; group 2 the same stack plus one small package; group 1 is graded again;
  groups 3..N (the stack plus another small package each) are installed after them;
- A: without a course layer (the download cache alone helps group 2);
- B: with the stack as the course layer (`sandbox.preinstall`): group 1's first install builds it.

It prints each install's time, what it downloaded, the images' own sizes, and the disk used by 1..N groups in
each scenario (the base image included), then the ratios against the baselines measured in this run: group 2's
time over group 1's (aim: at most 0.3), and the disk of 4 groups sharing the course layer over one group's
(aim: at most 1.3). Images it made are removed at the end; the download cache is a fresh folder unless --cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker

from grader.files import SubmissionTree
from grader.outcomes import BuildResult
from grader.sandbox.diskwatch import gigabytes
from grader.sandbox.docker_engine import DockerEngine
from grader.sandbox.downloads import CACHE_ENV, DownloadCache
from grader.sandbox.engine import Engine
from grader.sandbox.image import ensure_base_image
from grader.sandbox.install import PreparedEnvironment, prepare_environment
from grader.sandbox.policy import SandboxPolicy

STACK = ("torch==2.4.0", "torchaudio==2.4.0", "librosa==0.10.2.post1")
#: The one small package group 2 adds, and those of the groups after it.
EXTRAS = ("six==1.17.0", "tqdm==4.66.5", "PyYAML==6.0.2", "idna==3.10", "colorama==0.4.6")


@dataclass(frozen=True)
class Install:
    """One group's install as measured."""

    group: str
    seconds: float
    cache_hit: bool
    downloaded: int
    own: int
    image: str


def gb(size: float) -> str:
    return f"{size / 1e9:.2f} GB" if size >= 1e8 else gigabytes(int(size))


def sizes(engine: Engine) -> dict[str, tuple[int, str]]:
    """Every image's (size with its parents, parent id)."""
    return {i.id: (i.size, i.parent) for i in engine.images(labels={"grader.managed": "1"})}


def own_size(engine: Engine, image_id: str) -> int:
    known = sizes(engine)
    size, parent = known[image_id]
    return size - known[parent][0] if parent in known else size


def install(engine: Engine, folder: Path, group: str, lines: list[str], policy: SandboxPolicy) -> Install:
    """Write the group's requirements.txt and install it, timed."""
    root = folder / group
    root.mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    prepared: PreparedEnvironment = prepare_environment(engine, SubmissionTree(root), policy,
                                                        lambda line: print(f"    {line}", flush=True))
    seconds = time.perf_counter() - started
    prepared.release()
    build = prepared.step.detail
    if not prepared.image or not isinstance(build, BuildResult):
        raise SystemExit(f"{group}: the install failed: {prepared.step.error or prepared.step.stderr_tail[-2000:]}")
    result = Install(group, seconds, bool(build.cache_hit), build.downloaded_bytes or 0,
                     own_size(engine, prepared.image_id), prepared.image)
    print(f"  {group}: {seconds:7.1f} s  cache hit: {result.cache_hit!s:5}  downloaded: {gb(result.downloaded)}  "
          f"own image: {gb(result.own)}" + (f"  from the course layer: {len(build.from_course)} requirement(s)"
                                            if build.course_image else ""), flush=True)
    return result


def scenario(engine: Engine, folder: Path, groups: int, policy: SandboxPolicy, name: str) -> list[Install]:
    """Group 1, group 2 (+1 package), group 1 again, then groups 3..N."""
    print(f"\n{name}", flush=True)
    stack = list(STACK)
    done = [install(engine, folder, "group-1", stack, policy),
            install(engine, folder, "group-2", [*stack, EXTRAS[0]], policy),
            install(engine, folder, "group-1", stack, policy)]
    for n in range(3, groups + 1):
        done.append(install(engine, folder, f"group-{n}", [*stack, EXTRAS[(n - 2) % len(EXTRAS)]], policy))
    return done


def main() -> int:
    """Run both scenarios and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=4, help="groups per scenario (default 4, at least 2)")
    parser.add_argument("--cache", type=Path, default=None, help="grader cache folder (default: a fresh one)")
    args = parser.parse_args()
    engine = DockerEngine(docker.from_env(timeout=900))
    made: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-heavy-") as tmp:
        os.environ[CACHE_ENV] = str(args.cache or Path(tmp) / "cache")
        base = ensure_base_image(engine)
        base_size = sizes(engine)[base][0]
        common = {"install_timeout": 3600, "image_budget": None}
        try:
            plain = scenario(engine, Path(tmp) / "a", args.groups, SandboxPolicy(**common),  # type: ignore[arg-type]
                             "A: no course layer (the download cache only)")
            # Scenario A's images measured, they go: the machine needs no 24 GB of them during scenario B.
            for image in dict.fromkeys(i.image for i in plain):
                engine.remove_image(image)
            layered = scenario(engine, Path(tmp) / "b", args.groups,
                               SandboxPolicy(preinstall=list(STACK), **common),  # type: ignore[arg-type]
                               "B: the stack as the course layer (sandbox.preinstall)")
            made += [i.image for i in layered]
            course = [i for i in engine.images(labels={"grader.kind": "course"}) if i.parent == base]
            course_own = sum(i.size - base_size for i in course)
            made += [t for i in course for t in i.tags]
            report(plain, layered, base_size, course_own, args.groups)
            files, cached = DownloadCache().size()
            print(f"\ndownload cache: {gb(cached)} in {files} files")
        finally:
            for image in dict.fromkeys(made):
                try:
                    engine.remove_image(image)
                except Exception as exc:  # already gone
                    print(f"could not remove {image}: {exc}", file=sys.stderr)
    return 0


def report(plain: list[Install], layered: list[Install], base: int, course: int, groups: int) -> None:
    """Disk for 1..N groups in each scenario, and the ratios."""
    firsts_a = [i for i in plain if not i.cache_hit]
    firsts_b = [i for i in layered if not i.cache_hit]
    print(f"\ndisk for N groups (base image {gb(base)} included; course layer own size {gb(course)}):")
    for n in range(1, groups + 1):
        without = base + sum(i.own for i in firsts_a[:n])
        with_course = base + course + sum(i.own for i in firsts_b[:n])
        print(f"  N={n}: without the course layer {gb(without)}   with it {gb(with_course)}")
    one_group = base + firsts_a[0].own
    four = base + course + sum(i.own for i in firsts_b[:4])
    print("\nratios (baselines measured in this run):")
    for name, runs in (("A, cache only", plain), ("B, course layer", layered)):
        print(f"  {name}: group 2 / group 1 install time = {runs[1].seconds / runs[0].seconds:.2f} (aim <= 0.3);"
              f" regrade of group 1 / its first install = {runs[2].seconds / runs[0].seconds:.3f}")
    if groups >= 4:
        print(f"  disk of 4 groups sharing the course layer / one group's disk without it = {four / one_group:.2f}"
              " (aim <= 1.3)")


if __name__ == "__main__":
    sys.exit(main())
