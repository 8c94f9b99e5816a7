"""What the heads see: the passage embedding, optionally with the embedding of its section heading.

Training, `classify` and `imvo classify` build features through `passage_features`, so a model
always gets the inputs it was trained on; the model manifest names its feature set.
"""

from __future__ import annotations

import numpy as np

from pipeline.embed import EmbeddingCache, encode_texts

FEATURE_SETS = ("text", "text+heading")
DEFAULT_FEATURES = "text"


def passage_features(texts: list[str], headings: list[str | None], *, features: str, encoder,
                     cache: EmbeddingCache | None = None, text_vectors: np.ndarray | None = None) -> np.ndarray:
    """Feature matrix for passages; `text_vectors` may pass embeddings already computed by `embed`."""
    if features not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {features!r}; known: {FEATURE_SETS}")
    X = text_vectors if text_vectors is not None else encode_texts(texts, encoder=encoder, cache=cache)[0]
    if features == "text":
        return X
    present = sorted({h for h in headings if h})
    H = np.zeros_like(X)
    if present:
        vectors, _ = encode_texts(present, encoder=encoder, cache=cache)
        index = {h: i for i, h in enumerate(present)}
        for row, h in enumerate(headings):
            if h:
                H[row] = vectors[index[h]]
    return np.hstack([X, H])
