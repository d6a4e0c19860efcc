"""Recognising committed credentials (API tokens of common services, private keys) without ever repeating them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class SecretKind:
    """A kind of credential, the pattern that finds it, and the public prefix safe to show."""

    name: str
    pattern: re.Pattern[str]
    shown_prefix: str = ""


#: Credentials of services students of an audio deep-learning course use; formats as documented by each service.
KINDS: tuple[SecretKind, ...] = (
    SecretKind("private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY"
                                         r"(?: BLOCK)?-----")),
    SecretKind("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "AKIA"),
    SecretKind("AWS secret access key",
               re.compile(r"(?i)aws_secret_access_key['\"]?\s*[:=]\s*['\"]?[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")),
    SecretKind("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
               "gh"),
    SecretKind("OpenAI/Anthropic API key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{32,}"),
               "sk-"),
    SecretKind("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{34,}\b"), "hf_"),
    SecretKind("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "xox"),
    SecretKind("Slack webhook", re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+")),
    SecretKind("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), "AIza"),
    SecretKind("Google OAuth client secret", re.compile(r"\bGOCSPX-[A-Za-z0-9_-]{28}"), "GOCSPX-"),
    SecretKind("Weights & Biases API key",
               re.compile(r"(?i)(?:wandb[._]login\s*\(\s*(?:key\s*=\s*)?|WANDB_API_KEY['\"]?\s*[:=]\s*)['\"]?"
                          r"[0-9a-f]{40}\b")),
)

_PLACEHOLDER = re.compile(r"(?i)example|xxxx|your[_-]?(?:api)?[_-]?key|<[^>]*>|\.\.\.|\*\*\*")


@dataclass(frozen=True)
class SecretHit:
    """Where a credential was found; holds the kind and position only, never the credential."""

    kind: str
    line: int
    shown_prefix: str


def find_secrets(text: str) -> Iterator[SecretHit]:
    """Every credential-looking string in `text`, one hit per kind and line; placeholders are passed over."""
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > 10_000:  # minified data or a notebook's embedded image: not where keys are typed
            continue
        for kind in KINDS:
            match = kind.pattern.search(line)
            if match and not _PLACEHOLDER.search(match.group(0)) and len(set(match.group(0))) > 6:
                yield SecretHit(kind.name, number, kind.shown_prefix)
