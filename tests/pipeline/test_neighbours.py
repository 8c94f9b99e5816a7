"""The vote of the nearest labelled passages: what it returns, how it is stored, how it is stacked."""

import json

import numpy as np
import pytest

from pipeline.errors import ModelError
from pipeline.heads import ARRAYS, MANIFEST, load_headset
from pipeline.neighbours import dequantise, quantise, unit, vote, vote_weights


def test_a_near_duplicate_of_a_labelled_passage_takes_its_label():
    rng = np.random.default_rng(0)
    memory = unit(rng.normal(size=(200, 16)))
    y = (np.arange(200) < 20).astype(int)  # 20 positives, 180 negatives
    W = vote_weights(y, np.ones(200))[:, None]
    near_pos = unit(memory[3:4] + 0.01 * rng.normal(size=(1, 16)))
    near_neg = unit(memory[150:151] + 0.01 * rng.normal(size=(1, 16)))
    p = vote(np.vstack([near_pos, near_neg]), memory, y[:, None], W)[:, 0]
    assert p[0] > 0.9 and p[1] < 0.1


def test_both_classes_weigh_the_same_in_the_vote():
    y = np.array([1] * 5 + [0] * 45)
    w = vote_weights(y, np.ones(50))
    assert w[y == 1].sum() == pytest.approx(w[y == 0].sum())
    # a query equally similar to every passage gets an even vote, not the 10% prevalence
    memory = np.tile(unit(np.ones((1, 4))), (50, 1))
    assert vote(unit(np.ones((1, 4))), memory, y[:, None], w[:, None], k=50)[0, 0] == pytest.approx(0.5)


def test_int8_memory_keeps_cosines():
    V = unit(np.random.default_rng(1).normal(size=(300, 512)))
    Q, scale = quantise(V)
    assert Q.dtype == np.int8
    R = dequantise(Q, scale)
    assert np.abs((V @ V[:20].T) - (R @ R[:20].T)).max() < 0.01


def test_trained_relevance_head_stores_and_uses_its_vote(tmp_path):
    from tests.pipeline.test_train_and_heads import KeywordEncoder, synthetic_corpus
    from pipeline.train import train

    folder = train(synthetic_corpus(), encoder=KeywordEncoder(), out_dir=tmp_path, model_version="1.0.0")
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["neighbours"]["heads"] == ["relevant"] and manifest["neighbours"]["passages"] == 360
    with np.load(folder / ARRAYS, allow_pickle=False) as z:
        assert z["memory.vectors"].dtype == np.int8 and z["memory.vectors"].shape == (360, 24)
        assert "themes.memory_rows" not in z.files  # measured: the vote does not help themes or steps
    heads = load_headset(folder)
    rel = heads.heads["relevant"]
    texts = ["relevant child_labour remediate figures 12% words", "filler words only here"]
    X = KeywordEncoder().encode(texts)
    T = heads.lexicon.transform(texts)
    with pytest.raises(ModelError, match="unit vectors"):
        rel.decision(X, T)
    with_vote = rel.decision(X, T, unit(X))
    rel.K = np.zeros_like(rel.K)
    without = rel.decision(X, T)
    assert not np.allclose(with_vote, without)  # the vote moves the score
