"""Tests of the synthetic data and the features computed from it."""

from __future__ import annotations

import numpy as np

from kws.data import KEYWORDS, SAMPLE_RATE, make_dataset, synthesize, train_test_split
from kws.features import featurize, log_mel


def test_synthesized_clip_is_normalised() -> None:
    wave = synthesize("yes", np.random.default_rng(1))
    assert wave.shape == (SAMPLE_RATE // 2,)
    assert np.isclose(np.max(np.abs(wave)), 1.0)


def test_dataset_has_every_keyword_and_is_reproducible() -> None:
    waves, labels, names = make_dataset(3, seed=7)
    again, _, _ = make_dataset(3, seed=7)
    assert names == sorted(KEYWORDS)
    assert np.bincount(labels).tolist() == [3] * len(KEYWORDS)
    assert np.array_equal(waves, again)


def test_split_keeps_every_clip_once() -> None:
    x = np.arange(10)[:, None]
    y = np.arange(10)
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_share=0.3)
    assert len(y_test) == 3
    assert sorted([*y_train, *y_test]) == list(range(10))
    assert np.array_equal(x_train[:, 0], y_train) and np.array_equal(x_test[:, 0], y_test)


def test_features_are_standardised_per_clip() -> None:
    waves, _, _ = make_dataset(2)
    feats = featurize(waves)
    assert feats.shape[0] == len(waves)
    assert feats.shape[1] == log_mel(waves[0]).size
    assert np.allclose(feats.mean(axis=1), 0.0, atol=1e-6)
