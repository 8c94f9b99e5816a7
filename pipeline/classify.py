"""Stage 4, classify: embeddings -> calibrated probabilities and decisions for every passage.

Decisions are gated: a passage that is not relevant gets no theme, step or bank activity and is
never substantiated. `needs_review` marks passages whose deciding probabilities sit within the
model's review band of a threshold, so analysts know where the model is unsure.
"""

from __future__ import annotations

import numpy as np

from pipeline.document import Decisions, Document, PassageLabels
from pipeline.features import passage_features
from pipeline.heads import HeadSet


def label_rows(headsets_proba: dict[str, np.ndarray], heads: HeadSet, *, context: bool = False) -> list[PassageLabels]:
    """Turn per-head probability arrays into one `PassageLabels` per row (`context`: relevance came
    from the page-context stage, so its threshold applies)."""
    band = heads.review_band
    rel_t = heads.threshold("relevant", context=context)
    sub_t = heads.threshold("substantiated")
    multi = {name: (heads.labels(name), heads.heads[name].thresholds) for name in ("themes", "steps", "bank_activity")}
    n = len(headsets_proba["relevant"])
    out = []
    for i in range(n):
        p_rel = float(headsets_proba["relevant"][i, 0])
        p_sub = float(headsets_proba["substantiated"][i, 0])
        relevant = p_rel >= rel_t
        probs: dict[str, dict[str, float]] = {}
        chosen: dict[str, list[str]] = {}
        review = abs(p_rel - rel_t) < band
        for name, (labels, thresholds) in multi.items():
            row = headsets_proba[name][i]
            probs[name] = {lab: round(float(p), 4) for lab, p in zip(labels, row)}
            picked = [lab for lab, p, t in zip(labels, row, thresholds) if p >= t] if relevant else []
            chosen[name] = picked
            if relevant and name != "bank_activity":
                review = review or any(p < t + band for lab, p, t in zip(labels, row, thresholds) if lab in picked)
        if relevant:
            review = review or abs(p_sub - sub_t) < band
        out.append(PassageLabels(
            relevant=round(p_rel, 4), themes=probs["themes"], steps=probs["steps"],
            bank_activity=probs["bank_activity"], substantiated=round(p_sub, 4),
            decisions=Decisions(relevant=relevant, themes=chosen["themes"], steps=chosen["steps"],
                                bank_activity=chosen["bank_activity"], substantiated=relevant and p_sub >= sub_t),
            needs_review=review,
        ))
    return out


def predict_labels(heads: HeadSet, X: np.ndarray, texts: list[str], pages: list | np.ndarray | None = None,
                   ) -> tuple[dict[str, np.ndarray], list[PassageLabels]]:
    """Probabilities and decisions for feature rows; with the `pages` of a whole report's passages the
    relevance head uses its page context, and its decisions the matching threshold."""
    proba = heads.predict_proba(X, texts, pages=pages)
    return proba, label_rows(proba, heads, context=heads.uses_context(pages))


def classify(doc: Document, *, heads: HeadSet, encoder=None, cache=None) -> Document:
    """Fill `passage.labels` for every passage and record the model version."""
    doc.versions.model = heads.version
    if doc.failed or not doc.passages:
        return doc
    if doc._embeddings is None or len(doc._embeddings) != len(doc.passages):
        raise RuntimeError("classify needs embeddings for every passage: run embed first")
    texts = [p.text for p in doc.passages]
    X = passage_features(texts, [p.heading for p in doc.passages], features=heads.features, encoder=encoder,
                         cache=cache, text_vectors=doc._embeddings)
    _, rows = predict_labels(heads, X, texts, pages=[p.page for p in doc.passages])
    for passage, labels in zip(doc.passages, rows):
        passage.labels = labels
    return doc


def classify_texts(texts: list[str], *, heads: HeadSet, encoder, cache=None,
                   headings: list[str | None] | None = None) -> list[PassageLabels]:
    """Classify free text (not from a PDF): what `imvo classify` and evaluations use."""
    X = passage_features(texts, headings or [None] * len(texts), features=heads.features, encoder=encoder, cache=cache)
    return predict_labels(heads, X, texts)[1]
