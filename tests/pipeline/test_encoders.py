"""The default encoder behind the sentence-transformers API; local models only."""

import json

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from pipeline.encoders import MINILM_NAME, USE_NAME, UniversalSentenceEncoder, encoder_id, load_encoder
from pipeline.errors import EncoderError


def test_use_encodes_through_sentence_transformers_and_puts_dutch_beside_english(encoder):
    assert isinstance(encoder, SentenceTransformer)
    vecs = encoder.encode(["Wij bestrijden kinderarbeid in onze keten.", "We fight child labour in our supply chain.",
                           "Revenue grew by five percent."], normalize_embeddings=True)
    assert vecs.shape == (3, 512)
    sims = vecs @ vecs.T
    assert sims[0, 1] > 0.6 > sims[0, 2]


def test_use_module_saves_and_loads_with_sentence_transformers(tmp_path, encoder):
    encoder.save(str(tmp_path))
    modules = json.loads((tmp_path / "modules.json").read_text())
    assert modules[0]["type"] == "pipeline.encoders.UniversalSentenceEncoder"
    reloaded = SentenceTransformer(str(tmp_path), trust_remote_code=True)
    text = ["Grievance mechanisms are open to supplier workers."]
    assert np.allclose(reloaded.encode(text), encoder.encode(text), atol=1e-6)
    assert encoder_id(load_encoder(str(tmp_path))) == encoder_id(encoder)


def test_minilm_is_selectable_and_loads_offline():
    model = load_encoder(MINILM_NAME)
    assert model.encode(["child labour"]).shape == (1, 384)
    assert encoder_id(model).startswith(MINILM_NAME)


def test_unknown_encoder_and_foreign_code_are_refused(tmp_path):
    with pytest.raises(EncoderError, match="never downloaded"):
        load_encoder("sentence-transformers/some-hub-model")
    (tmp_path / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "", "type": "evil.Module"}]))
    with pytest.raises(EncoderError, match="refusing"):
        load_encoder(str(tmp_path))


def test_use_module_uses_every_core_by_default():
    assert UniversalSentenceEncoder().threads >= 1
    assert USE_NAME == "use-multilingual-v3"
