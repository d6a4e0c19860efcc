"""Train the keyword-spotting network on synthetic clips and report its test accuracy."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from kws.data import make_dataset, train_test_split
from kws.features import featurize
from kws.model import MLP, accuracy


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; the defaults train for a few seconds on a laptop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training set")
    parser.add_argument("--clips", type=int, default=100, help="synthetic clips per keyword")
    parser.add_argument("--hidden", type=int, default=64, help="units in the hidden layer")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate")
    parser.add_argument("--batch", type=int, default=32, help="mini-batch size")
    parser.add_argument("--seed", type=int, default=0, help="seed for data, split and weights")
    parser.add_argument("--out", type=Path, default=Path("results"), help="folder for metrics.json")
    return parser.parse_args(argv)


def train(args: argparse.Namespace) -> dict[str, float]:
    """Generate data, train for `args.epochs` epochs and return the final metrics."""
    waves, labels, names = make_dataset(args.clips, seed=args.seed)
    x_train, y_train, x_test, y_test = train_test_split(featurize(waves), labels, test_share=0.2, seed=args.seed)
    model = MLP.init(x_train.shape[1], args.hidden, len(names), seed=args.seed)
    rng = np.random.default_rng(args.seed)
    loss = float("nan")
    for epoch in range(1, args.epochs + 1):
        # A new shuffle every epoch, so mini-batches differ between epochs.
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), args.batch):
            batch = order[start:start + args.batch]
            loss = model.step(x_train[batch], y_train[batch], args.lr)
        print(f"epoch {epoch:3d}  loss {loss:.4f}  train acc {accuracy(model, x_train, y_train):.3f}")
    return {"loss": loss, "train_accuracy": accuracy(model, x_train, y_train),
            "test_accuracy": accuracy(model, x_test, y_test)}


def main(argv: list[str] | None = None) -> None:
    """Train, print the test accuracy and save the metrics as JSON."""
    args = parse_args(argv)
    metrics = train(args)
    print(f"test accuracy {metrics['test_accuracy']:.3f}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
