"""Training writes a plain-array artefact with a manifest; loading checks it."""

import json
import zlib

import numpy as np
import pytest

from pipeline.corpus import LabelledPassage
from pipeline.errors import ModelError
from pipeline.heads import ARRAYS, MANIFEST, load_headset
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES
from pipeline.train import train

WORDS = {**{t: i for i, t in enumerate(THEMES)}, **{s: 10 + i for i, s in enumerate(STEPS)},
         **{b: 16 + i for i, b in enumerate(BANK_ACTIVITIES)}, "relevant": 18, "figures": 19}


class KeywordEncoder:
    """Maps each label word in a text to its own axis: a stand-in encoder whose geometry we know."""

    _imvo_encoder_id = "keywords@1"

    def encode(self, texts, **kwargs):
        # noise is a function of the text, as with a real encoder: the same text always gets the same vector
        out = np.stack([np.random.default_rng(zlib.crc32(t.encode())).normal(0, 0.2, 24) for t in texts]
                       ).astype(np.float32) if texts else np.zeros((0, 24), np.float32)
        for i, t in enumerate(texts):
            for w in t.split():
                if w in WORDS:
                    out[i, WORDS[w]] += 2.0
        return out

    def get_sentence_embedding_dimension(self):
        return 24


def synthetic_corpus(n=360):
    rng = np.random.default_rng(1)
    passages = []
    for i in range(n):
        relevant = i % 3 != 0
        theme = [THEMES[i % len(THEMES)]] if relevant else []
        step = [STEPS[(i // 3) % len(STEPS)]] if relevant else []
        bank = [BANK_ACTIVITIES[i % 2]] if relevant and i % 5 == 0 else []
        sub = relevant and i % 2 == 0
        # a word of its own makes every text (and so its embedding) distinct, as in a real corpus
        words = ["filler"] * 3 + [f"w{i}"] + theme + step + bank + (["relevant"] if relevant else []) + (["figures", "12%"] if sub else [])
        rng.shuffle(words)
        passages.append(LabelledPassage(
            id=f"s{i}", text=" ".join(words) + " end of passage", lang="en" if i % 2 else "nl",
            relevant=relevant, themes=theme, steps=step, bank_activity=bank, substantiated=sub,
            source=f"report_{i % 7}.pdf", page=1, labeller="test"))
    return passages


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    folder = train(synthetic_corpus(), encoder=KeywordEncoder(), out_dir=out, model_version="1.0.0")
    return folder


def test_training_writes_manifest_arrays_and_card_without_pickles(trained):
    manifest = json.loads((trained / MANIFEST).read_text())
    assert manifest["encoder"] == "keywords@1"
    assert manifest["labels"]["themes"] == list(THEMES) and manifest["labels"]["steps"] == list(STEPS)
    assert len(manifest["corpus"]["sha256"]) == 64
    assert manifest["metrics_out_of_fold"]["relevant"]["relevant"]["all"]["f1"] > 0.9
    assert (trained / "MODEL_CARD.md").read_text().startswith("# Model card")
    with np.load(trained / ARRAYS, allow_pickle=False) as z:
        terms = len(z["lexicon.terms"])
        assert terms > 0 and manifest["lexicon_terms"] == terms
        assert manifest["lexical_heads"] == ["relevant", "themes", "steps", "bank_activity", "substantiated"]
        assert z["themes.W"].shape == (len(THEMES), 24 + terms)  # embedding + lexicon
        assert z["substantiated.W"].shape == (1, 28 + terms)  # embedding + evidence features + lexicon


def test_loaded_heads_predict_calibrated_probabilities(trained):
    heads = load_headset(trained.parent, encoder="keywords@1")  # the newest version is picked
    texts = ["relevant child_labour remediate figures 12% words", "filler words only here"]
    proba = heads.predict_proba(KeywordEncoder().encode(texts), texts)
    assert proba["relevant"][0, 0] > 0.8 > 0.2 > proba["relevant"][1, 0]
    assert proba["themes"][0, THEMES.index("child_labour")] > 0.5
    assert proba["steps"][0, STEPS.index("remediate")] > 0.5
    assert all(((p >= 0) & (p <= 1)).all() for p in proba.values())


def test_tampered_artefact_is_refused(trained, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(trained, copy)
    with np.load(copy / ARRAYS) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["relevant.b"] = arrays["relevant.b"] + 1
    np.savez_compressed(copy / ARRAYS, **arrays)
    with pytest.raises(ModelError, match="does not match the hash"):
        load_headset(copy)


def test_heads_for_another_encoder_are_refused(trained):
    with pytest.raises(ModelError, match="trained on embeddings of 'keywords@1'"):
        load_headset(trained, encoder="use-multilingual-v3@x")


def test_missing_model_says_how_to_get_one(tmp_path):
    with pytest.raises(ModelError, match="imvo train"):
        load_headset(tmp_path)


def test_label_heads_learn_on_relevant_passages_and_real_cuts_weigh_more():
    from pipeline.train import REAL_WEIGHT, sample_weights, targets

    passages = synthetic_corpus(60)
    mask, _ = targets(passages, "themes")
    assert mask.tolist() == [bool(p.relevant) for p in passages]  # P(theme | relevant), as classify asks it
    relevance_mask, _ = targets(passages, "relevant")
    assert relevance_mask.all()
    real = passages[0].model_copy(update={"labeller": "team:real-pool"})
    reviewed = passages[1].model_copy(update={"labeller": "review:lead"})
    w = sample_weights([real, reviewed, passages[2]], "relevant")
    assert w.tolist() == [REAL_WEIGHT["relevant"], REAL_WEIGHT["relevant"], 1.0] and REAL_WEIGHT["relevant"] > 1


def test_language_never_predicts_the_label_after_balancing():
    """Dutch passages mostly relevant, English mostly not: after balancing each language has the
    pooled weighted share of positives, and only negatives were reweighted."""
    from pipeline.train import balance_languages

    langs = np.array(["en"] * 100 + ["nl"] * 50)
    y = np.array([1] * 20 + [0] * 80 + [1] * 35 + [0] * 15)
    w = np.where(np.arange(150) < 100, 8.0, 1.0)  # real English cuts weigh more
    b = balance_languages(w, y, langs)
    pooled = w[y == 1].sum() / w.sum()
    for lang in ("en", "nl"):
        s = langs == lang
        assert b[s & (y == 1)].sum() / b[s].sum() == pytest.approx(pooled)
    assert np.array_equal(b[y == 1], w[y == 1])
    # a language without negatives (or a head without positives) is left as it is
    assert np.array_equal(balance_languages(w, np.ones(150, int), langs), w)
    assert np.array_equal(balance_languages(w, np.zeros(150, int), langs), w)
