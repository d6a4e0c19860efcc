"""The gateway's pull-through mirror of the configured package indexes, backed by the grader's download cache.

pip in the install container is pointed at `http://127.0.0.1:<port>/index/<n>/` (index n of the policy). A page
is fetched from the real index on the host (TLS checked there, with the policy's CA bundle), its links rewritten
to `/files/<token>/<file name>` and served; a file is served from the cache, or fetched once and kept. A token
stands for a real address and the index's hash of the file, and only tokens of links this mirror served are
honoured: the group's code can ask for files the index listed, nothing else. A file is kept only when its
bytes match the index's hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import posixpath
import re
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
import urllib.response
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from grader.sandbox.downloads import DownloadCache

CHUNK = 1024 * 1024
#: Largest index page read (torch's page is about 1 MB).
MAX_PAGE_BYTES = 64 * 1024**2
UPSTREAM_TIMEOUT_S = 60.0
_PROJECT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
#: Link attributes pip reads (PEP 503, 592, 658, 714); everything else on a page is dropped.
_KEPT = ("data-requires-python", "data-yanked", "data-dist-info-metadata", "data-core-metadata", "data-gpg-sig")


@dataclass
class GatewayStats:
    """What one gateway did: pages and files fetched from an index or served from the cache, and refusals."""

    pages_upstream: int = 0
    pages_cached: int = 0
    files_upstream: int = 0
    files_cached: int = 0
    bytes_upstream: int = 0
    bytes_cached: int = 0
    #: Destinations refused (host:port), in order, once each.
    refused: list[str] = field(default_factory=list)
    #: Index addresses that could not be fetched, with the reason.
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        """Add to counters, thread-safely."""
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def note(self, where: list[str], text: str) -> None:
        """Record a refusal or an error once."""
        with self.lock:
            if text not in where and len(where) < 100:
                where.append(text)


def send_head(sock: socket.socket, status: int, reason: str, headers: dict[str, str]) -> None:
    """An HTTP/1.1 status line and headers; every answer of the gateway closes its connection."""
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in {**headers, "Connection": "close"}.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def send_text(sock: socket.socket, status: int, reason: str, text: str, kind: str = "text/plain") -> None:
    """A whole small answer."""
    body = text.encode("utf-8")
    send_head(sock, status, reason, {"Content-Type": f"{kind}; charset=utf-8", "Content-Length": str(len(body))})
    sock.sendall(body)


class _Links(HTMLParser):
    """The anchors of a simple-index page: (href, kept attributes, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, dict[str, str], str]] = []
        self._open: tuple[str, dict[str, str]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            values = {k: v or "" for k, v in attrs}
            self._open, self._text = (values.get("href", ""), {k: values[k] for k in _KEPT if k in values}), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.links.append((*self._open, "".join(self._text).strip()))
            self._open = None


class IndexMirror:
    """Serves `/index/<n>/<project>/` and `/files/<token>/<name>` for the indexes given, in that order."""

    def __init__(
        self, indexes: Sequence[str], cache: DownloadCache, context: ssl.SSLContext, stats: GatewayStats,
        secret: bytes,
    ) -> None:
        self.indexes = [url.rstrip("/") + "/" for url in indexes]
        self.cache = cache
        self.stats = stats
        self._secret = secret
        #: The files this mirror's pages listed, by token: the only files it fetches.
        self._links: dict[str, tuple[str, str | None]] = {}
        self._lock = threading.Lock()
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))

    # -- pages ---------------------------------------------------------------------------------------------------

    def serve_page(self, sock: socket.socket, index: int, project: str) -> None:
        """The project's page of index `index`, its links leading back to this mirror."""
        if not 0 <= index < len(self.indexes) or not _PROJECT.match(project):
            send_text(sock, 404, "Not Found", "grader: no such index page")
            return
        url = self.indexes[index] + re.sub(r"[-_.]+", "-", project).lower() + "/"
        cached = self.cache.page(url)
        if cached is not None:
            self.stats.add(pages_cached=1)
            final, body = cached.url, cached.body
        else:
            try:
                with self._open(url, "text/html") as answer:
                    final = answer.geturl()
                    body = answer.read(MAX_PAGE_BYTES).decode("utf-8", "replace")
            except urllib.error.HTTPError as exc:
                send_text(sock, exc.code, "Upstream", f"grader: the index answered {exc.code} for {_safe(url)}")
                return
            except (OSError, ValueError) as exc:
                self.stats.note(self.stats.errors, f"{_safe(url)}: {_reason(exc)}")
                send_text(sock, 502, "Bad Gateway", f"grader: the index could not be reached: {_reason(exc)}")
                return
            self.stats.add(pages_upstream=1)
            self.cache.put_page(url, final, body)
        send_text(sock, 200, "OK", self.rewrite(final, body), "text/html")

    def rewrite(self, page_url: str, body: str) -> str:
        """A fresh simple-index page whose links are tokens for this mirror (attributes pip reads kept)."""
        parser = _Links()
        parser.feed(body)
        rows = ["<!DOCTYPE html>", "<html><body>"]
        for href, attrs, text in parser.links:
            target = urljoin(page_url, href)
            parts = urlsplit(target)
            if parts.scheme not in {"http", "https"}:
                continue
            bare = urlunsplit((*parts[:4], ""))
            name = posixpath.basename(parts.path)
            if not name:
                continue
            link = f"/files/{self._token(bare, parts.fragment or None)}/{name}"
            if parts.fragment:
                link += "#" + parts.fragment
            extra = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
            rows.append(f'<a href="{html.escape(link, quote=True)}"{extra}>{html.escape(text or name)}</a><br/>')
        rows.append("</body></html>")
        return "\n".join(rows) + "\n"

    # -- files ---------------------------------------------------------------------------------------------------

    def serve_file(self, sock: socket.socket, token: str, name: str) -> None:
        """A file a page of this mirror listed: from the cache, or fetched, passed on and kept."""
        found = self._untoken(token)
        if found is None:
            send_text(sock, 403, "Forbidden", "grader: not a file this mirror listed")
            return
        url, digest = found
        # Compared unquoted: a local version's `+` may be written `+` or `%2B` by the page and by pip.
        base, name = unquote(posixpath.basename(urlsplit(url).path)), unquote(name)
        if name == base + ".metadata":
            # PEP 658: the wheel's METADATA beside it; pip checks it against the page's own hash.
            url, digest = url + ".metadata", None
        elif name != base:
            send_text(sock, 404, "Not Found", "grader: no such file")
            return
        cached = self.cache.file(url, digest)
        if cached is not None:
            size = cached.stat().st_size
            send_head(sock, 200, "OK", {"Content-Type": "application/octet-stream", "Content-Length": str(size)})
            with cached.open("rb") as handle:
                sock.sendfile(handle)
            self.stats.add(files_cached=1, bytes_cached=size)
            return
        self._fetch_file(sock, url, digest)

    def _fetch_file(self, sock: socket.socket, url: str, digest: str | None) -> None:
        algorithm, _, expected = (digest or "").partition("=")
        hasher = hashlib.new(algorithm) if algorithm in hashlib.algorithms_guaranteed and expected else None
        try:
            answer = self._open(url, "*/*")
        except urllib.error.HTTPError as exc:
            send_text(sock, exc.code, "Upstream", f"grader: the index answered {exc.code} for a file")
            return
        except (OSError, ValueError) as exc:
            self.stats.note(self.stats.errors, f"{_safe(url)}: {_reason(exc)}")
            send_text(sock, 502, "Bad Gateway", f"grader: the file could not be fetched: {_reason(exc)}")
            return
        headers = {"Content-Type": "application/octet-stream"}
        length = answer.headers.get("Content-Length")
        if length and length.isdigit():
            headers["Content-Length"] = length
        received = 0
        with answer, self.cache.writing(url, digest) as (partial, keep):
            send_head(sock, 200, "OK", headers)
            # Passed on while it arrives: pip gives up on a connection silent for 15 s, and torch is 800 MB.
            while chunk := answer.read(CHUNK):
                received += len(chunk)
                partial.write(chunk)
                if hasher is not None:
                    hasher.update(chunk)
                sock.sendall(chunk)
            complete = not length or not length.isdigit() or received == int(length)
            keep[0] = complete and (hasher is None or hmac.compare_digest(hasher.hexdigest(), expected.lower()))
        self.stats.add(files_upstream=1, bytes_upstream=received)

    # -- helpers -------------------------------------------------------------------------------------------------

    def _open(self, url: str, accept: str) -> urllib.response.addinfourl:
        parts = urlsplit(url)
        headers = {"Accept": accept, "User-Agent": "grader-mirror"}
        if parts.username is not None:
            # Credentials in an index URL (a private index) go upstream only, as Basic authentication.
            pair = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
            host = parts.hostname or ""
            netloc = f"[{host}]" if ":" in host else host
            url = urlunsplit((parts.scheme, netloc + (f":{parts.port}" if parts.port else ""), *parts[2:]))
        request = urllib.request.Request(url, headers=headers)
        answer: urllib.response.addinfourl = self._opener.open(request, timeout=UPSTREAM_TIMEOUT_S)
        return answer

    def _token(self, url: str, digest: str | None) -> str:
        token = hmac.new(self._secret, f"{url}\0{digest}".encode(), hashlib.sha256).hexdigest()[:24]
        with self._lock:
            self._links[token] = (url, digest)
        return token

    def _untoken(self, token: str) -> tuple[str, str | None] | None:
        with self._lock:
            return self._links.get(token)


def _safe(url: str) -> str:
    """An address without its credentials, for messages and reports."""
    parts = urlsplit(url)
    if parts.username is None:
        return url
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], *parts[2:]))


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return f"{type(exc).__name__}: {reason if reason is not None else exc}"[:300]
