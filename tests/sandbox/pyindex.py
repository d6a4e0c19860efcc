"""A real package index for tests: wheels and source archives built here, served as a PEP 503 folder over
http.server on the host's loopback, with every request counted."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def wheel(folder: Path, name: str, version: str, *, code: str = "VALUE = 42\n", requires: tuple[str, ...] = (),
          requires_python: str | None = None, pad: int = 0) -> Path:
    """A pure-Python wheel holding module `name` (and `pad` bytes of incompressible data, to weigh something)."""
    info = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    if requires_python:
        meta += f"Requires-Python: {requires_python}\n"
    files: dict[str, bytes] = {
        f"{name}/__init__.py": code.encode(),
        f"{info}/METADATA": meta.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: grader-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if pad:
        files[f"{name}/padding.bin"] = hashlib.shake_256(name.encode()).digest(pad)
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    target = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return target


def sdist(folder: Path, name: str, version: str, setup_py: str) -> Path:
    """A source archive whose setup.py is `setup_py` (pip has to build it: there is no wheel)."""
    target = folder / f"{name}-{version}.tar.gz"
    members = {
        f"{name}-{version}/setup.py": setup_py.encode(),
        f"{name}-{version}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
    }
    with tarfile.open(target, "w:gz") as tar:
        for path, data in members.items():
            entry = tarfile.TarInfo(path)
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
    return target


@dataclass
class LocalIndex:
    """A running index: its URL for pip (`url`), and the paths it was asked for."""

    root: Path
    url: str = ""
    requests: list[str] = field(default_factory=list)

    def add(self, path: Path, requires_python: str | None = None) -> None:
        """List a built file on its project's page (a new file is served at once)."""
        project = re.sub(r"[-_.]+", "-", path.name.split("-")[0]).lower()
        page = self.root / "simple" / project
        page.mkdir(parents=True, exist_ok=True)
        (self.root / "files").mkdir(exist_ok=True)
        path.rename(self.root / "files" / path.name)
        digest = hashlib.sha256((self.root / "files" / path.name).read_bytes()).hexdigest()
        attr = f' data-requires-python="{html.escape(requires_python)}"' if requires_python else ""
        line = f'<a href="../../files/{path.name}#sha256={digest}"{attr}>{path.name}</a><br/>\n'
        with (page / "index.html").open("a", encoding="utf-8") as handle:
            handle.write(line)

    def files_fetched(self) -> list[str]:
        """The package files asked for so far."""
        return [r for r in self.requests if r.startswith("/files/")]


@contextmanager
def local_index(root: Path) -> Iterator[LocalIndex]:
    """Serve `root` (built with LocalIndex.add) on 127.0.0.1 for the length of the block."""
    root.mkdir(parents=True, exist_ok=True)
    index = LocalIndex(root)

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:
            index.requests.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    index.url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
