"""Vendored code: each signal on a small submission, with the reason recorded and the group's code kept."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path

from grader.analysis.code.source import all_python_sources, python_sources
from grader.analysis.code.vendored import Ownership, find_vendored, ownership, record_digests, vendored_code
from grader.files import SubmissionTree
from grader.models import Member, Submission
from tests.harness import MakeTree

BSD_HEADER = '''"""
Copyright (c) 2017, Gavin Weiguang Ding
All rights reserved.

Redistribution and use in source and binary forms, with or without modification, are permitted.
"""
import numpy as np
'''
MIT = "MIT License\n\nCopyright (c) {year} {holder}\n\nPermission is hereby granted, free of charge, to any person\n"


def _parts(root: Path, owners: Ownership | None = None) -> dict[str, str]:
    return {p.path: p.reason for p in find_vendored(SubmissionTree(root), owners or Ownership()).parts}


def test_a_folder_with_its_own_licence_is_vendored_and_left_out_of_the_code(make_tree: MakeTree) -> None:
    root = make_tree({"train.py": "import model\n", "model.py": "x = 1\n",
                      "src/wavenet/LICENSE": MIT.format(year=2019, holder="Jane Roe"),
                      "src/wavenet/layers.py": "y = 2\n", "src/wavenet/ops/conv.py": "z = 3\n",
                      "models/LICENSE.txt": "weights licence", "models/weights.bin": b"\0"})
    parts = _parts(root)
    assert list(parts) == ["src/wavenet"]
    assert "own licence file LICENSE (copyright Jane Roe)" in parts["src/wavenet"]
    tree = SubmissionTree(root)
    assert sorted(u.path for u in python_sources(tree)) == ["model.py", "train.py"]
    assert len(all_python_sources(tree)) == 4


def test_a_file_with_another_authors_licence_header_is_vendored(make_tree: MakeTree) -> None:
    root = make_tree({"draw_convnet.py": BSD_HEADER, "train.py": "import draw_convnet\n", "util.py": "u = 1\n"})
    assert _parts(root) == {"draw_convnet.py": "its header grants a licence in the name of Gavin Weiguang Ding"}


def test_the_groups_own_licence_headers_are_not_vendored(make_tree: MakeTree) -> None:
    header = "# Copyright (c) 2025 Ada Lovelace\n# SPDX-License-Identifier: MIT\n"
    mine = make_tree({"a.py": header + "a = 1\n", "b.py": header + "b = 2\n", "c.py": "c = 3\n"})
    assert _parts(mine) == {}  # the same holder on most files: the group's own style
    one = make_tree({"a.py": header + "a = 1\n", "b.py": "b = 2\n", "c.py": "c = 3\n"})
    assert _parts(one, Ownership(("Ada Lovelace",))) == {}
    assert list(_parts(one)) == ["a.py"]


def test_a_package_named_like_a_distribution_is_vendored_but_not_an_everyday_word(make_tree: MakeTree) -> None:
    root = make_tree({"mgr/__init__.py": "", "mgr/audiomentations/__init__.py": "", "mgr/audiomentations/core.py": "",
                      "datasets/__init__.py": "", "datasets/urbansound.py": "", "evaluate/__init__.py": ""})
    parts = _parts(root)
    assert list(parts) == ["mgr/audiomentations"]
    assert "audiomentations distribution" in parts["mgr/audiomentations"]


def test_third_party_folders_the_listing_skips_are_reported(make_tree: MakeTree) -> None:
    root = make_tree({"main.py": "", "third_party/lib/x.py": "", "src/external/y.py": ""})
    parts = _parts(root)
    assert set(parts) == {"third_party", "src/external"} and all("never read" in r for r in parts.values())


def test_the_digests_sent_to_the_sandbox_are_those_a_record_file_lists(make_tree: MakeTree) -> None:
    # packaging's own RECORD, as pip wrote it on this machine, names version.py with the digest we compute.
    module = Path(importlib.import_module("packaging.version").__file__ or "")
    copied = module.read_bytes()
    root = make_tree({"main.py": "import util\n", "util/version.py": copied, "util/__init__.py": "",
                      "util/copy2.py": copied, "util/broken.py": b"x = 1\n" * 200})
    (root / "util" / "link.py").symlink_to(module)
    digests = record_digests(SubmissionTree(root))
    assert sorted(digests.values()) == [("util/broken.py",), ("util/copy2.py", "util/version.py")]
    digest = next(d for d, paths in digests.items() if "util/version.py" in paths)
    record = next(module.parent.parent.glob("packaging-*.dist-info/RECORD")).read_text(encoding="utf-8")
    assert f"packaging/version.py,sha256={digest}," in record
    # Small files (empty __init__.py files are all alike) are never compared; nor are files beyond the limit.
    assert list(record_digests(SubmissionTree(root), limit=3).values()) == [("util/broken.py",)]


def test_files_the_sandbox_found_identical_to_an_installed_distributions_are_vendored(make_tree: MakeTree) -> None:
    root = make_tree({"main.py": "import util\n", "util/version.py": "v = 1\n", "util/__init__.py": "",
                      "notes/version.py.txt": ""})
    copies = {"util/version.py": ("packaging", "packaging/version.py"), "gone.py": ("six", "six.py"),
              "notes/version.py.txt": ("six", "six.py")}
    parts = _parts(root, Ownership(installed_copies=copies))
    assert parts == {"util/version.py": "identical to packaging/version.py of the installed distribution packaging"}


def test_the_installed_copies_give_a_vendored_verdict_of_their_own_on_a_shared_tree(make_tree: MakeTree) -> None:
    # The engine grades code.* statically, then again on the same tree once the sandbox has run.
    tree = SubmissionTree(make_tree({"main.py": "m = 1\n", "lib/six.py": "s = 1\n"}))
    static = vendored_code(tree, Ownership())
    assert static.parts == () and sorted(u.path for u in python_sources(tree)) == ["lib/six.py", "main.py"]
    refined = vendored_code(tree, Ownership(installed_copies={"lib/six.py": ("six", "six.py")}))
    assert [p.path for p in refined.parts] == ["lib/six.py"] and refined.key != static.key
    assert [u.path for u in python_sources(tree, refined)] == ["main.py"]
    assert vendored_code(tree) is static and len(python_sources(tree, static)) == 2


def test_a_root_licence_of_someone_else_years_before_is_reported_not_excluded(make_tree: MakeTree) -> None:
    root = make_tree({"LICENSE": MIT.format(year=2018, holder="Calclavia"), "model.py": "m = 1\n"})
    sub = Submission("g", root, "https://github.com/superChoi7/DLFinalProject.git",
                     commit_time=datetime(2021, 12, 21, tzinfo=UTC))
    owners = ownership(sub)
    assert owners.names == ("superChoi7",)
    found = find_vendored(SubmissionTree(root), owners)
    assert [(p.path, p.excluded) for p in found.parts] == [(".", False)]
    assert "Calclavia (2018)" in found.parts[0].reason
    ours = ownership(sub.__class__("g", root, "/home/me/x", members=(Member("Calclavia"),),
                                   commit_time=datetime(2021, 1, 1, tzinfo=UTC)))
    assert find_vendored(SubmissionTree(root), ours).parts == ()
    recent = ownership(Submission("g", root, "https://github.com/x/y", commit_time=datetime(2019, 5, 1, tzinfo=UTC)))
    assert find_vendored(SubmissionTree(root), recent).parts == ()


def test_vendored_code_is_computed_once_per_tree(make_tree: MakeTree) -> None:
    tree = SubmissionTree(make_tree({"a.py": ""}))
    assert vendored_code(tree) is vendored_code(tree)
