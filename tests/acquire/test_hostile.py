"""Hostile repositories: hooks, submodules, links out of the tree, LFS filters and huge blobs stay harmless."""

from __future__ import annotations

import hashlib
import os
import stat
import zlib
from pathlib import Path

import pytest

from grader.acquire import AcquirePolicy, acquire_git
from grader.files import SubmissionTree
from tests.acquire.builder import BEFORE, RepoBuilder, run


def _hook(folder: Path, name: str, sentinel: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    hook = folder / name
    hook.write_text(f"#!/bin/sh\necho {name} >> {sentinel}\n")
    hook.chmod(stat.S_IRWXU)


def test_no_hook_runs_from_templates_global_config_or_the_clone(
    tmp_path: Path, source: RepoBuilder, served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentinel = tmp_path / "hook-ran"
    hooks = tmp_path / "evil-hooks"
    for name in ("post-checkout", "post-merge", "reference-transaction", "post-index-change", "fsmonitor-watchman"):
        _hook(hooks, name, sentinel)
        _hook(tmp_path / "evil-template" / "hooks", name, sentinel)
    hostile = tmp_path / "hostile.gitconfig"
    hostile.write_text(
        f"[init]\n\ttemplateDir = {tmp_path / 'evil-template'}\n[core]\n\thooksPath = {hooks}\n"
        f"\tfsmonitor = {hooks / 'fsmonitor-watchman'}\n[filter \"lfs\"]\n\tsmudge = touch {sentinel}\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(hostile))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # a stray host variable must not redirect git
    work = tmp_path / "work"
    first = acquire_git(str(served / "group.git"), work, group_id="g")
    assert first.acquire_error is None
    for name in ("post-checkout", "reference-transaction", "post-index-change"):
        _hook(work / "g" / "repo.git" / "hooks", name, sentinel)
    source.commit({"more.txt": "x"}, when=BEFORE)
    run("push", "--quiet", str(served / "group.git"), "main", cwd=source.path)
    second = acquire_git(str(served / "group.git"), work, group_id="g")
    assert second.acquire_error is None and (second.root / "more.txt").exists()
    assert not sentinel.exists()


def test_submodule_with_file_url_is_not_fetched(tmp_path: Path) -> None:
    secret = RepoBuilder(tmp_path / "secret")
    secret.commit({"SECRET.txt": "host file content\n"}, when=BEFORE)
    repo = RepoBuilder(tmp_path / "main")
    run("-c", "protocol.file.allow=always", "submodule", "add", "--quiet", f"file://{secret.path}", "sub",
        cwd=repo.path)
    repo.commit({"main.py": "print(1)\n"}, when=BEFORE)
    sub = acquire_git(str(repo.path), tmp_path / "work", group_id="g")
    assert sub.acquire_error is None
    assert (sub.root / ".gitmodules").is_file()
    assert not list((tmp_path / "work").rglob("SECRET.txt"))
    assert not (tmp_path / "work" / "g" / "repo.git" / "modules").exists()


def test_symlink_to_etc_passwd_is_a_link_the_tree_does_not_follow(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "src")
    os.symlink("/etc/passwd", repo.path / "passwd")
    repo.commit({"a.py": "x = 1\n"}, when=BEFORE)
    sub = acquire_git(str(repo.path), tmp_path / "work", group_id="g")
    assert sub.acquire_error is None
    assert (sub.root / "passwd").is_symlink()
    tree = SubmissionTree(sub.root)
    assert tree.files() == ["a.py"]
    assert tree.read_text("passwd") is None
    assert any(note.path == "passwd" and "not followed" in note.reason for note in tree.notes)


def test_lfs_pointer_is_left_unsmudged(tmp_path: Path) -> None:
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 123456789\n"
    repo = RepoBuilder(tmp_path / "src")
    repo.commit({".gitattributes": "*.pt filter=lfs diff=lfs merge=lfs -text\n", "model.pt": pointer}, when=BEFORE)
    sub = acquire_git(str(repo.path), tmp_path / "work", group_id="g")
    assert sub.acquire_error is None
    assert (sub.root / "model.pt").read_text() == pointer


def _write_zero_blob(git_dir: Path, size: int) -> str:
    """Store a blob of `size` zero bytes as a loose object (faster than git hash-object; zeros compress well)."""
    header = f"blob {size}\0".encode()
    digest = hashlib.sha1(header)  # git's object name, not a security use
    packer = zlib.compressobj(1)
    parts = [packer.compress(header)]
    chunk = bytes(1 << 20)
    for _ in range(size >> 20):
        digest.update(chunk)
        parts.append(packer.compress(chunk))
    parts.append(packer.flush())
    sha = digest.hexdigest()
    target = git_dir / "objects" / sha[:2] / sha[2:]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"".join(parts))
    return sha


@pytest.mark.slow  # about 10 s: git must still pack and hash the 300 MB on both sides of the fetch
def test_300_mb_blob_is_stopped_by_the_size_cap(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "src")
    repo.commit({"train.py": "print(1)\n"}, when=BEFORE)
    run("config", "core.bigFileThreshold", "1m", cwd=repo.path)  # serve the blob without a delta search
    sha = _write_zero_blob(repo.path / ".git", 300 << 20)
    run("update-index", "--add", "--cacheinfo", f"100644,{sha},weights.bin", cwd=repo.path)
    repo.commit({}, when=BEFORE, message="add weights", stage_all=False)
    sub = acquire_git(str(repo.path), tmp_path / "work", group_id="g", policy=AcquirePolicy(max_bytes=100 << 20))
    assert sub.acquire_error is not None
    assert "over the cap of 104857600 bytes (largest file: weights.bin, 314572800 bytes)" in sub.acquire_error
    assert not (tmp_path / "work" / "g" / "tree" / "weights.bin").exists()


def test_repository_over_the_cap_is_stopped_while_fetching(tmp_path: Path) -> None:
    repo = RepoBuilder(tmp_path / "src")
    repo.commit({"noise.bin": os.urandom(200_000)}, when=BEFORE)  # random bytes do not compress
    sub = acquire_git(str(repo.path), tmp_path / "work", group_id="g", policy=AcquirePolicy(max_bytes=100_000))
    assert sub.acquire_error is not None
    assert sub.acquire_error.endswith("stopped: repository over the cap of 100000 bytes")
    assert sub.commit is None
