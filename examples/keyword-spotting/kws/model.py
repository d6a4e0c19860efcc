"""A two-layer neural network (ReLU hidden layer, softmax output) trained with mini-batch gradient descent."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax; subtracting the row maximum keeps exp() from overflowing."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass
class MLP:
    """Weights of the network; `init` draws them, `forward` and `step` use and update them."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    @classmethod
    def init(cls, n_in: int, n_hidden: int, n_out: int, seed: int = 0) -> MLP:
        """He initialisation for the ReLU layer, small weights for the output layer."""
        rng = np.random.default_rng(seed)
        return cls(
            w1=rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_hidden)),
            b1=np.zeros(n_hidden),
            w2=rng.normal(0.0, 0.01, (n_hidden, n_out)),
            b2=np.zeros(n_out),
        )

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hidden activations and class probabilities for a batch `x` of shape (batch, features)."""
        hidden = np.maximum(0.0, x @ self.w1 + self.b1)
        return hidden, softmax(hidden @ self.w2 + self.b2)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Most probable class index for every row of `x`."""
        return self.forward(x)[1].argmax(axis=1)

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        """One gradient-descent step on a mini-batch; returns its cross-entropy loss."""
        hidden, probs = self.forward(x)
        n = len(x)
        loss = float(-np.log(probs[np.arange(n), y] + 1e-12).mean())
        # Gradient of softmax + cross-entropy with respect to the logits is (probs - one_hot) / n.
        grad_logits = probs.copy()
        grad_logits[np.arange(n), y] -= 1.0
        grad_logits /= n
        grad_hidden = (grad_logits @ self.w2.T) * (hidden > 0)
        self.w2 -= lr * hidden.T @ grad_logits
        self.b2 -= lr * grad_logits.sum(axis=0)
        self.w1 -= lr * x.T @ grad_hidden
        self.b1 -= lr * grad_hidden.sum(axis=0)
        return loss


def accuracy(model: MLP, x: np.ndarray, y: np.ndarray) -> float:
    """Share of rows of `x` whose predicted class equals `y`."""
    return float((model.predict(x) == y).mean())
