"""SubmissionTree: lists the group's own files, never follows links out, caps what it reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.files import SubmissionTree, UnsafePathError
from tests.harness import MakeTree


def test_lists_own_files_and_skips_vendored_and_cache_folders(make_tree: MakeTree) -> None:
    root = make_tree({
        "train.py": "x = 1\n", "src/model.py": "", "venv/lib/site.py": "", ".venv/x.py": "",
        "node_modules/a.js": "", "notebooks/.ipynb_checkpoints/a.ipynb": "{}", "pkg.egg-info/PKG-INFO": "",
        "third_party/lib.py": "", ".git/config": "", "notebooks/a.ipynb": "{}",
    })
    assert SubmissionTree(root).files() == ["notebooks/a.ipynb", "src/model.py", "train.py"]


def test_rubric_excludes_are_globs(make_tree: MakeTree) -> None:
    root = make_tree({"a.py": "", "data/raw/x.py": "", "gen/out_pb2.py": ""})
    tree = SubmissionTree(root, exclude=("data/**", "*_pb2.py"))
    assert tree.files() == ["a.py"]


def test_symlink_out_of_the_tree_is_neither_listed_nor_read(make_tree: MakeTree) -> None:
    root = make_tree({"README.md": "hi"})
    os.symlink("/etc/passwd", root / "passwd.txt")
    os.symlink("/etc", root / "etc")
    tree = SubmissionTree(root)
    assert tree.files() == ["README.md"]
    assert any(n.path == "passwd.txt" and "not followed" in n.reason for n in tree.notes)
    assert tree.read_text("passwd.txt") is None
    assert tree.read_text("etc/passwd") is None
    assert not tree.exists("etc/passwd")
    with pytest.raises(UnsafePathError):
        tree.read_bytes("../" + root.name + "/README.md")
    with pytest.raises(UnsafePathError):
        tree.abspath("/etc/passwd")


def test_huge_binary_and_undecodable_files(make_tree: MakeTree) -> None:
    root = make_tree({"big.txt": "a" * 200, "blob.bin": b"\x00\x01\x02", "latin.md": "x"})
    (root / "latin.md").write_bytes("Größe".encode("latin-1"))
    tree = SubmissionTree(root)
    assert tree.read_text("big.txt", max_bytes=100) is None
    assert tree.read_text("blob.bin") is None
    assert tree.read_text("latin.md") == "Gr\ufffd\ufffde"
    reasons = {n.path: n.reason for n in tree.notes}
    assert "over the 100-byte limit" in reasons["big.txt"] and reasons["blob.bin"] == "binary file skipped"


def test_memo_computes_once(tmp_path: Path) -> None:
    tree = SubmissionTree(tmp_path)
    calls = []
    assert tree.memo("k", lambda: calls.append(1) or 42) == 42
    assert tree.memo("k", lambda: calls.append(1) or 43) == 42
    assert calls == [1]


def test_a_name_with_a_nul_is_no_file_rather_than_a_crash(tmp_path: Path) -> None:
    # Found by hypothesis through `-r a\x00b` in a requirements file; a README link `a%00b` crashed readme.links.
    (tmp_path / "a").write_text("x")
    tree = SubmissionTree(tmp_path)
    assert tree.exists("a\x00b") is False
    assert tree.read_text("a\x00b") is None
    with pytest.raises(UnsafePathError):
        tree.read_bytes("a\x00")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_a_text_file_with_a_byte_order_mark_is_text_for_every_reader(make_tree: MakeTree, encoding: str) -> None:
    """PowerShell's `pip freeze > requirements.txt` writes UTF-16 with a BOM: the environment checks read it, and so
    must every other reader (it was 'binary file skipped' in the report's notes while env.file had read it)."""
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    root = make_tree({"requirements.txt": bom + "numpy==1.26.4\r\nsix==1.16.0\r\n".encode(encoding)})
    tree = SubmissionTree(root)
    assert tree.read_text("requirements.txt") == "numpy==1.26.4\r\nsix==1.16.0\r\n"
    assert tree.notes == []
