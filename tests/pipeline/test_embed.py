"""Embeddings are cached by text hash: an unchanged passage is never encoded twice."""

import numpy as np

from pipeline.embed import EmbeddingCache, encode_texts


class CountingEncoder:
    """A stand-in encoder that records what it was asked to encode."""

    _imvo_encoder_id = "counting@1"

    def __init__(self):
        self.seen: list[str] = []

    def encode(self, texts, **kwargs):
        self.seen.extend(texts)
        return np.array([[len(t), t.count("a"), 1.0] for t in texts], dtype=np.float32)

    def get_sentence_embedding_dimension(self):
        return 3


def test_cache_skips_texts_encoded_before_even_in_a_new_process(tmp_path):
    enc = CountingEncoder()
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    first, n1 = encode_texts(["alpha", "beta", "alpha"], encoder=enc, cache=cache)
    assert n1 == 2 and enc.seen == ["alpha", "beta"]
    reopened = EmbeddingCache(tmp_path / "e.sqlite")
    second, n2 = encode_texts(["beta", "gamma", "alpha"], encoder=enc, cache=reopened)
    assert n2 == 1 and enc.seen[-1] == "gamma"
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[2], first[0])
    assert len(reopened) == 3


def test_cache_keys_depend_on_the_encoder(tmp_path):
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    a, b = CountingEncoder(), CountingEncoder()
    b._imvo_encoder_id = "other@2"
    encode_texts(["same text"], encoder=a, cache=cache)
    _, n = encode_texts(["same text"], encoder=b, cache=cache)
    assert n == 1
