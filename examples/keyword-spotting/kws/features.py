"""Log-mel spectrogram features, computed with scipy's STFT and a mel filterbank built in numpy."""

from __future__ import annotations

import numpy as np
from scipy import signal

from kws.data import SAMPLE_RATE


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Convert frequencies in Hz to the mel scale (the HTK formula)."""
    return 2595.0 * np.log10(1.0 + hz / 700.0)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Convert mel values back to Hz (inverse of `hz_to_mel`)."""
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Triangular filters, one row per mel band, over the `n_fft // 2 + 1` STFT bins."""
    n_bins = n_fft // 2 + 1
    # Band edges are equally spaced in mel, so low frequencies get narrower bands, as in human hearing.
    edges_mel = np.linspace(hz_to_mel(np.array(0.0)), hz_to_mel(np.array(sample_rate / 2)), n_mels + 2)
    edges_bin = np.floor((n_fft + 1) * mel_to_hz(edges_mel) / sample_rate).astype(int)
    bank = np.zeros((n_mels, n_bins))
    for band in range(n_mels):
        left, centre, right = edges_bin[band], edges_bin[band + 1], edges_bin[band + 2]
        # max(..., 1) keeps a band alive when two edges fall into the same bin.
        bank[band, left:centre] = (np.arange(left, centre) - left) / max(centre - left, 1)
        bank[band, centre:right] = (right - np.arange(centre, right)) / max(right - centre, 1)
    return bank


def log_mel(wave: np.ndarray, n_mels: int = 32, n_fft: int = 512, hop: int = 256) -> np.ndarray:
    """Log-mel spectrogram of one waveform, shape (n_mels, frames)."""
    _, _, spec = signal.stft(wave, fs=SAMPLE_RATE, nperseg=n_fft, noverlap=n_fft - hop)
    power = np.abs(spec) ** 2
    mel = mel_filterbank(n_mels, n_fft) @ power
    # The small floor avoids log(0) in silent frames.
    return np.log(mel + 1e-6)


def featurize(waves: np.ndarray) -> np.ndarray:
    """Flattened, standardised log-mel features for a batch of waveforms, shape (batch, features)."""
    feats = np.stack([log_mel(w).ravel() for w in waves])
    # Per-clip standardisation removes loudness differences between recordings.
    mean = feats.mean(axis=1, keepdims=True)
    std = feats.std(axis=1, keepdims=True) + 1e-8
    return (feats - mean) / std
