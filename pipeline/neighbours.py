"""Nearest labelled passages: a vote of the training passages most similar to a new passage.

A linear head draws one boundary through the whole embedding space; report language that the
corpus has seen before ("preferred materials", a supplier-audit table row) is often better judged by
the labelled passages closest to it. Each label of a head gets a second score, the weighted vote of
the `K_NEIGHBOURS` most similar training passages of that head (cosine on the passage embedding,
weights `exp(similarity / TEMPERATURE)` times the passage's training weight, positives scaled so that
both classes weigh the same in total), and `pipeline.train.fit_label` stacks it with the linear score
on out-of-fold predictions: `p = sigmoid(A * z + K * logit(vote) + B)`.

The memory is stored with the model as plain arrays: unit vectors quantised to int8 with one scale per
passage, and per head the rows, labels and vote weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

K_NEIGHBOURS = 25
TEMPERATURE = 0.05
NEIGHBOUR_HEADS = ("relevant",)  # measured: see `pipeline.train`
_EPS = 1e-4
_CHUNK = 256


def unit(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.maximum(norms, 1e-12)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def vote_weights(y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per training passage, its weight in the vote: positives scaled so both classes weigh the same in total."""
    w = np.asarray(weights, dtype=np.float64)
    pos, neg = w[y == 1].sum(), w[y == 0].sum()
    return np.where(y == 1, w * (neg / pos if pos > 0 else 1.0), w).astype(np.float32)


def vote(query: np.ndarray, memory: np.ndarray, Y: np.ndarray, W: np.ndarray, *,
         k: int = K_NEIGHBOURS, temperature: float = TEMPERATURE) -> np.ndarray:
    """P(label) per query row and label column: the weighted share of positives among the `k` memory
    rows most similar to it. `query` and `memory` are unit vectors; `Y` (n, L) labels and `W` (n, L)
    vote weights of the memory rows."""
    n = len(memory)
    out = np.zeros((len(query), Y.shape[1]), dtype=np.float64)
    if n == 0 or len(query) == 0:
        return out + 0.5
    k = min(k, n)
    for start in range(0, len(query), _CHUNK):  # a chunk of similarities at a time keeps memory small
        S = query[start:start + _CHUNK] @ memory.T
        idx = np.argpartition(-S, k - 1, axis=1)[:, :k]
        sims = np.take_along_axis(S, idx, 1)
        base = np.exp((sims - 1.0) / temperature)  # shifted by the largest possible similarity: no overflow
        for j in range(Y.shape[1]):
            wt = base * W[idx, j]
            total = wt.sum(1)
            out[start:start + len(S), j] = np.where(total > 0, (wt * Y[idx, j]).sum(1) / np.maximum(total, 1e-300), 0.5)
    return out


def quantise(V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors as int8 with one float32 scale per row (cosines change by well under 0.01)."""
    scale = np.maximum(np.abs(V).max(axis=1), 1e-12).astype(np.float32) / 127.0
    return np.round(V / scale[:, None]).astype(np.int8), scale


def dequantise(Q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return unit(Q.astype(np.float32) * scale[:, None])


@dataclass
class HeadMemory:
    """The training passages one head votes with: their unit vectors, their rows in the training corpus,
    labels and vote weights."""

    vectors: np.ndarray  # (n, d) unit vectors
    rows: np.ndarray  # (n,) indices of these passages in the training corpus
    Y: np.ndarray  # (n, L) int8
    W: np.ndarray  # (n, L) float32

    def vote(self, query: np.ndarray) -> np.ndarray:
        """P(label) per query row (unit vectors) and label."""
        return vote(query, self.vectors, self.Y, self.W)
