"""Committed credentials recognised by kind and line, never repeated, and placeholders passed over."""

from __future__ import annotations

import dataclasses

import pytest

from grader.analysis.repo.secrets import find_secrets

# Fake credentials in each service's documented format (random characters, no real account behind them).
CREDENTIALS = {
    "private key": "-----BEGIN OPENSSH PRIVATE KEY-----",
    "AWS access key id": "AKIAQ3EGTUZBV7NXK2MP",
    "AWS secret access key": "aws_secret_access_key = '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'",
    "GitHub token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "OpenAI/Anthropic API key": "sk-proj-" + "Zk3Qm9Vt2Lx8Rw4Jp6Hs1Ny7Bc5Df0Ga",
    "Hugging Face token": "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNm1234567890",
    "Google API key": "AIza" + "SyB3k9Tq1aZk3Qm9Vt2Lx8Rw4Jp6Hs1Ny7B",
    "Weights & Biases API key": "wandb.login(key='" + "0123456789abcdef" * 2 + "01234567')",
}


@pytest.mark.parametrize(("kind", "text"), CREDENTIALS.items())
def test_each_kind_is_found_on_its_line_and_never_repeated(kind: str, text: str) -> None:
    (hit,) = list(find_secrets(f"import os\n\nTOKEN = {text}\n"))
    assert (hit.kind, hit.line) == (kind, 3)
    held = " ".join(str(v) for v in dataclasses.asdict(hit).values())
    assert text not in held and text[len(hit.shown_prefix):][:12] not in held


@pytest.mark.parametrize("text", [
    "api_key = 'sk-your-api-key-goes-here-xxxxxxxxxxxxxxxxxxxxx'",
    "HF_TOKEN = 'hf_<your token here, from huggingface.co/settings>'",
    "ghp_" + "x" * 36,  # one character over and over: no token
    "AKIAEXAMPLEEXAMPLE12",
    "wandb.login(key='...')",
])
def test_placeholders_and_documentation_examples_are_not_secrets(text: str) -> None:
    assert list(find_secrets(text)) == []


def test_a_line_of_embedded_data_is_not_searched() -> None:
    """A notebook's base64 image or minified data is one very long line; keys are typed on short ones."""
    assert list(find_secrets("x" * 10_001 + CREDENTIALS["AWS access key id"])) == []
    assert [h.line for h in find_secrets("x" * 10_001 + "\n" + CREDENTIALS["AWS access key id"])] == [2]
