"""The TF-IDF lexicon: standard TF-IDF from plain arrays, saved with the model, and really used."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.context import PageContext
from pipeline.corpus import LabelledPassage
from pipeline.errors import ModelError
from pipeline.heads import HeadSet, LinearHead, load_headset, save_headset
from pipeline.lexicon import Lexicon
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES
from pipeline.train import LABELS, fit_heads

TEXTS = [
    "Our suppliers pay a living wage to garment workers.",
    "Suppliers are audited for forced labour and child labour.",
    "Net revenue grew by 4% and the dividend was raised.",
    "De leveranciers betalen een leefbaar loon aan textielarbeiders.",
    "Audits bij leveranciers op dwangarbeid en kinderarbeid.",
    "The dividend was raised; revenue and margin grew.",
] * 3


def test_transform_is_sublinear_tfidf_as_scikit_learn_computes_it():
    lexicon = Lexicon.fit(TEXTS, min_df=2)
    reference = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    R = reference.fit_transform(TEXTS + ["suppliers suppliers suppliers pay wage"])
    assert lexicon.terms == list(reference.get_feature_names_out())
    ours = lexicon.transform(TEXTS + ["suppliers suppliers suppliers pay wage"]).toarray()
    # idf differs only through the extra document the reference saw; compare the term-frequency part
    ref_idf = Lexicon.fit(TEXTS + ["suppliers suppliers suppliers pay wage"], min_df=2)
    assert ref_idf is not None
    same_idf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, vocabulary=lexicon.terms)
    same_idf.fit(TEXTS)
    np.testing.assert_allclose(same_idf.idf_, lexicon.idf)
    np.testing.assert_allclose(ours, same_idf.transform(TEXTS + ["suppliers suppliers suppliers pay wage"]).toarray(),
                               atol=1e-12)
    assert R.shape[1] == len(lexicon)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0)
    assert Lexicon.fit(["a b", "c d"]) is None  # nothing frequent enough: no lexicon, no crash


def _passages():
    out = []
    for i in range(240):
        relevant = i % 2 == 0
        theme = THEMES[(i // 2) % len(THEMES)] if relevant else None
        words = {t: f"{t.replace('_', '')} signaal{j}" for j, t in enumerate(THEMES)}
        words["child_labour"] = "kinderarbeid school"
        text = (f"tekst {i} " + (words[theme] + " leveranciers" if relevant else "dividend omzet marge"))
        out.append(LabelledPassage(id=f"p{i}", text=text, lang="nl", relevant=relevant,
                                   themes=[theme] if relevant else [], steps=[STEPS[(i // 2) % 6]] if relevant else [],
                                   bank_activity=[BANK_ACTIVITIES[(i // 2) % 2]] if relevant else [],
                                   substantiated=relevant and (i // 2) % 3 == 0,
                                   source=f"r{i % 8}.pdf", page=1, labeller="test"))
    return out


def test_lexical_heads_learn_from_words_the_embedding_does_not_show(tmp_path):
    passages = _passages()
    X = np.random.default_rng(0).normal(0, 1, (len(passages), 8))  # an embedding that knows nothing
    lexicon = Lexicon.fit([p.text for p in passages])
    heads, metrics = fit_heads(X, passages, lexicon=lexicon)
    assert all(heads[name].lexical for name in LABELS)
    assert metrics["relevant"]["relevant"]["all"]["f1"] > 0.95
    assert metrics["themes"]["child_labour"]["all"]["f1"] > 0.9
    manifest = {"name": "lex", "version": "1", "encoder": "random@1"}
    folder = save_headset(heads, manifest, tmp_path / "lex" / "1", "# Model card\n", lexicon=lexicon,
                          context=PageContext(1.0, 0.5, 0.0, 0.5))
    loaded = load_headset(folder)
    texts = ["kinderarbeid school leveranciers", "dividend omzet marge"]
    Xn = np.zeros((2, 8))
    proba = loaded.predict_proba(Xn, texts)
    assert proba["relevant"][0, 0] > 0.8 > 0.2 > proba["relevant"][1, 0]
    assert np.argmax(proba["themes"][0]) == THEMES.index("child_labour")
    in_report = loaded.predict_proba(Xn, texts, pages=[1, 2])  # the page-context stage sees the lexical score too
    assert in_report["relevant"][0, 0] > in_report["relevant"][1, 0]


def test_lexical_head_without_its_lexicon_is_refused(tmp_path):
    n = len(THEMES)
    head = LinearHead(labels=list(THEMES), W=np.zeros((n, 10)), b=np.zeros(n), A=np.ones(n), B=np.zeros(n),
                      thresholds=np.full(n, 0.5), lexical=True)
    with pytest.raises(ModelError):
        head.proba(np.zeros((1, 8)))
    plain = {name: LinearHead(labels=LABELS[name], W=np.zeros((len(LABELS[name]), 8)), b=np.zeros(len(LABELS[name])),
                              A=np.ones(len(LABELS[name])), B=np.zeros(len(LABELS[name])),
                              thresholds=np.full(len(LABELS[name]), 0.5)) for name in LABELS}
    plain["themes"] = head
    with pytest.raises(ModelError, match="lexicon"):
        save_headset(plain, {"name": "x", "version": "1", "encoder": "e"}, tmp_path / "x", "# card\n")
    hs = HeadSet(heads=plain, manifest={"name": "x", "version": "1", "encoder": "e"})
    with pytest.raises(ModelError, match="no lexicon"):
        hs.predict_proba(np.zeros((1, 8)), ["text"])
