"""Evaluation: per-label figures from decisions, grouped CV, AIMS.au mapping, README block."""

import csv

import numpy as np
import pytest

from pipeline.evaluate import cross_validate, evaluate_aims, render_markdown, score_decisions, update_readme
from pipeline.heads import HeadSet
from pipeline.train import fit_heads
from tests.pipeline.test_classify_and_score import headset, probs
from tests.pipeline.test_train_and_heads import KeywordEncoder, synthetic_corpus


def stack(rows):
    return {k: np.vstack([r[k] for r in rows]) for k in rows[0]}


def test_scores_count_decisions_per_label_and_language():
    from pipeline.classify import label_rows
    from pipeline.corpus import LabelledPassage

    def gold(lang, relevant, themes=()):
        return LabelledPassage(id=f"g{lang}{relevant}{themes}", text="some passage text here", lang=lang,
                               relevant=relevant, themes=list(themes), steps=[], bank_activity=[],
                               substantiated=False, source="moncler_2023_x.pdf", page=1, labeller="t")
    passages = [gold("en", True, ["child_labour"]), gold("en", False), gold("nl", True, ["child_labour"])]
    proba = stack([probs(0.9, {"child_labour": 0.9}), probs(0.9, {"child_labour": 0.9}), probs(0.1)])
    r = score_decisions(passages, proba, label_rows(proba, headset()))
    cl = r["themes"]["child_labour"]
    assert cl["all"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert cl["en"]["recall"] == 1.0 and cl["nl"]["recall"] == 0.0
    assert r["relevant"]["relevant"]["all"]["precision"] == 0.5
    assert "child_labour" in render_markdown({"gold": {**r, "_sources": ["x"]}}, "m/1")


def test_cross_validation_scores_every_passage_out_of_fold():
    passages = synthetic_corpus(300)
    r = cross_validate(passages, encoder=KeywordEncoder(), cache=None, features="text", folds=3)
    assert r["_passages"]["all"] == 300
    assert r["relevant"]["relevant"]["all"]["f1"] > 0.9
    assert r["themes"]["_macro_f1"]["all"] > 0.7


def test_aims_columns_map_onto_our_steps(tmp_path):
    passages = synthetic_corpus(240)
    X = KeywordEncoder().encode([p.text for p in passages])
    heads, _ = fit_heads(X, passages)
    hs = HeadSet(heads=heads, manifest={"name": "t", "version": "1", "encoder": "keywords@1"})
    path = tmp_path / "aims.csv"
    columns = ["statement_id", "sentence_orig_idxs", "sentence", "C3 (risk description)", "C4 (remediation)",
               "C5 (effectiveness)"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerow([1, 0, "relevant forced_labour remediate", 0, 1, 0])
        w.writerow([1, 1, "relevant child_labour track", 0, 0, 1])
        w.writerow([2, 0, "filler text only", 0, 0, 0])
    r = evaluate_aims(hs, path, encoder=KeywordEncoder(), cache=None)
    assert r["C4 (remediation)"]["step"] == "remediate" and r["C4 (remediation)"]["recall"] == 1.0
    assert r["C5 (effectiveness)"]["aimscheck_f1"] == 0.59 and r["_statements"] == 2


def test_readme_block_is_replaced_and_nothing_else(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- evaluation:start -->\nold\n<!-- evaluation:end -->\nafter\n")
    update_readme(readme, "new table\n")
    assert readme.read_text() == "before\n<!-- evaluation:start -->\nnew table\n<!-- evaluation:end -->\nafter\n"
    (tmp_path / "bad.md").write_text("no markers")
    with pytest.raises(ValueError):
        update_readme(tmp_path / "bad.md", "x")
