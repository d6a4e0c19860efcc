"""Synthetic keyword recordings, so the project runs without downloading a speech corpus."""

from __future__ import annotations

import numpy as np

#: Sampling rate of every generated clip, in Hz (16 kHz as in the Speech Commands data set).
SAMPLE_RATE = 16_000

#: Each "keyword" is a pitch contour: start and end frequency of a gliding tone, in Hz.
KEYWORDS: dict[str, tuple[float, float]] = {
    "yes": (400.0, 900.0),
    "no": (900.0, 400.0),
    "up": (300.0, 1500.0),
    "down": (1500.0, 300.0),
}


def synthesize(keyword: str, rng: np.random.Generator, duration: float = 0.5) -> np.ndarray:
    """Render one noisy utterance of `keyword` as a float32 waveform in [-1, 1]."""
    start, end = KEYWORDS[keyword]
    n_samples = int(duration * SAMPLE_RATE)
    # Speakers differ in pitch: scale the whole contour by up to +-10 %.
    scale = rng.uniform(0.9, 1.1)
    freq = scale * np.linspace(start, end, n_samples)
    # Integrate the instantaneous frequency to get the phase of a gliding tone (a linear chirp).
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    tone = np.sin(phase) + 0.3 * np.sin(2 * phase)
    # A Hann envelope avoids clicks at the clip edges, like a word fading in and out.
    envelope = np.hanning(n_samples)
    noise = rng.normal(0.0, rng.uniform(0.05, 0.3), n_samples)
    wave = envelope * tone + noise
    return (wave / np.max(np.abs(wave))).astype(np.float32)


def make_dataset(n_per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Generate `n_per_class` clips per keyword; returns waveforms, integer labels and the label names."""
    rng = np.random.default_rng(seed)
    names = sorted(KEYWORDS)
    waves = []
    labels = []
    for label, name in enumerate(names):
        for _ in range(n_per_class):
            waves.append(synthesize(name, rng))
            labels.append(label)
    return np.stack(waves), np.array(labels), names


def train_test_split(
    x: np.ndarray, y: np.ndarray, test_share: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into training and test parts; the seed keeps the split reproducible."""
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_share * len(x)))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]
