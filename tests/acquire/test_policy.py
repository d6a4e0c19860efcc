"""check_url and scrub: which URLs are accepted, how they are shown, and that secrets never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.acquire.policy import AcquirePolicy, UrlRefused, check_url, scrub

POLICY = AcquirePolicy()


@pytest.mark.parametrize(
    ("url", "kind", "display"),
    [
        ("https://git.example.org/dl4ad/group-1.git", "https", "https://git.example.org/dl4ad/group-1.git"),
        ("https://ada:tok@git.example.org:8443/g.git", "https", "https://git.example.org:8443/g.git"),
        ("ssh://git@git.example.org/dl4ad/g.git", "ssh", "ssh://git.example.org/dl4ad/g.git"),
        ("git@github.com:dl4ad/g.git", "ssh", "github.com:dl4ad/g.git"),
    ],
)
def test_accepted_urls(url: str, kind: str, display: str) -> None:
    remote = check_url(url, POLICY)
    assert (remote.kind, remote.display) == (kind, display)
    assert "tok" not in remote.target


def test_password_is_kept_apart_from_the_target() -> None:
    remote = check_url("https://ada:s%40cret@host.example/g.git", POLICY)
    assert remote.password == "s@cret"
    assert remote.target == "https://ada@host.example/g.git"


def test_local_paths(tmp_path: Path) -> None:
    assert check_url(str(tmp_path), POLICY).target == str(tmp_path.resolve())
    assert check_url(f"file://{tmp_path}", POLICY).kind == "local"
    with pytest.raises(UrlRefused, match="no such local repository folder"):
        check_url(str(tmp_path / "missing"), POLICY)
    with pytest.raises(UrlRefused, match="local paths are not allowed"):
        check_url(str(tmp_path), AcquirePolicy(allowed_schemes=frozenset({"https"})))


@pytest.mark.parametrize(
    "url",
    ["ext::sh -c id", "-uhttps://x", "https://x/\nrepo", "git@-oProxyCommand=id:x", "http://h/r.git", "", " https://h/r"],
)
def test_refused_urls(url: str) -> None:
    with pytest.raises(UrlRefused):
        check_url(url, POLICY)


def test_refusal_message_never_carries_credentials() -> None:
    with pytest.raises(UrlRefused) as caught:
        check_url("ftp://ada:hunter2@host/r.git", POLICY)
    assert "hunter2" not in str(caught.value)


def test_scrub_userinfo_and_named_secrets() -> None:
    text = "fatal: could not read from https://ada:hunter2@h/r.git with token abc123"
    assert scrub(text, ("abc123",)) == "fatal: could not read from https://***@h/r.git with token ***"
