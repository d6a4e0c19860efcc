"""Import names versus distribution names, and the standard library."""

from __future__ import annotations

import pytest

from grader.analysis.env.importnames import distributions_for, import_names, is_stdlib, needs_no_import, provides


@pytest.mark.parametrize(
    ("distribution", "module"),
    [("scikit-learn", "sklearn"), ("opencv-python-headless", "cv2"), ("Pillow", "PIL"), ("PyYAML", "yaml"),
     ("ruamel.yaml", "ruamel"), ("scikit-image", "skimage"), ("SoundFile", "soundfile"),
     ("beautifulsoup4", "bs4"), ("python-dotenv", "dotenv"), ("pytorch", "torch"), ("torchaudio", "torchaudio"),
     ("ffmpeg-python", "ffmpeg"), ("tensorflow-gpu", "tensorflow"), ("pytorch_lightning", "pytorch_lightning"),
     ("IPython", "IPython"), ("praat-parselmouth", "parselmouth")],
)
def test_known_distributions_provide_their_import_names(distribution: str, module: str) -> None:
    assert provides(distribution, module)


def test_unknown_distributions_are_guessed_from_their_name() -> None:
    assert import_names("some-audio-lib") == ("some_audio_lib",)
    assert provides("python-speechkit", "speechkit")
    assert not provides("numpy", "sklearn")


def test_import_name_back_to_distributions() -> None:
    assert "scikit-learn" in distributions_for("sklearn")
    assert distributions_for("librosa") == ("librosa",)
    assert distributions_for("Some_Thing") == ("some-thing",)


@pytest.mark.parametrize(("module", "expected"), [("os", True), ("json", True), ("__future__", True),
                                                   ("tomllib", True), ("numpy", False), ("config", False)])
def test_standard_library(module: str, expected: bool) -> None:
    assert is_stdlib(module) is expected


def test_tools_need_no_import() -> None:
    assert needs_no_import("Jupyter") and needs_no_import("ipykernel") and not needs_no_import("librosa")
