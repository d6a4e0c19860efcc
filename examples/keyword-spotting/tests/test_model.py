"""Tests of the network: gradients point downhill and training beats chance on the synthetic keywords."""

from __future__ import annotations

import numpy as np

from kws.model import MLP, accuracy, softmax
from train import main, parse_args, train


def test_softmax_rows_sum_to_one() -> None:
    probs = softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]]))
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert np.allclose(probs[1], [0.25, 0.75])


def test_steps_lower_the_loss() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5))
    y = (x[:, 0] > 0).astype(int)
    model = MLP.init(5, 8, 2)
    first = model.step(x, y, lr=0.5)
    for _ in range(50):
        last = model.step(x, y, lr=0.5)
    assert last < first
    assert accuracy(model, x, y) > 0.9


def test_training_beats_chance() -> None:
    metrics = train(parse_args(["--epochs", "10", "--clips", "30"]))
    assert metrics["test_accuracy"] > 0.5  # four keywords: chance is 0.25


def test_main_writes_metrics(tmp_path) -> None:
    main(["--epochs", "1", "--clips", "5", "--out", str(tmp_path)])
    assert "test_accuracy" in (tmp_path / "metrics.json").read_text(encoding="utf-8")
