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


def test_paired_translations_measure_the_language_gap_on_the_same_passages():
    from pipeline.corpus import LabelledPassage
    from pipeline.evaluate import evaluate_paired

    passages = synthetic_corpus(240)
    X = KeywordEncoder().encode([p.text for p in passages])
    heads, _ = fit_heads(X, passages)
    hs = HeadSet(heads=heads, manifest={"name": "t", "version": "1", "encoder": "keywords@1"})

    def passage(pid, text, lang, relevant):
        return LabelledPassage(id=pid, text=text, lang=lang, relevant=relevant, themes=["child_labour"] if relevant else [],
                               steps=["remediate"] if relevant else [], bank_activity=[], substantiated=False,
                               source="moncler_2023_x.pdf", page=1, labeller="team:gold")
    gold = [passage(f"g{i}", f"relevant child_labour remediate item {i}", "en", True) for i in range(6)]
    gold += [passage(f"n{i}", f"filler words only item {i}", "en", False) for i in range(6)]
    # the "encoder" understands only English keywords: half the Dutch relevant passages lose them
    translations = [passage(f"nltr-g{i}", (f"relevant child_labour remediate punt {i}" if i < 3 else f"kinderarbeid punt {i}"),
                            "nl", True) for i in range(6)]
    translations += [passage(f"nltr-n{i}", f"alleen vulwoorden punt {i}", "nl", False) for i in range(6)]
    translations.append(passage("nltr-missing", "geen origineel", "nl", False))  # no gold passage: ignored
    r = evaluate_paired(hs, gold, translations, encoder=KeywordEncoder(), cache=None)
    assert r["_pairs"] == {"pairs": 12, "relevant": 6, "same_relevance_decision": 0.75}
    rel = r["relevant"]["relevant"]
    assert rel["en"]["recall"] == 1.0 and rel["nl"]["recall"] == 0.5
    md = render_markdown({"paired": r}, "m/1")
    assert "Dutch against English" in md and "| relevant | relevant | 6 | 1.00 | 0.67 | -0.33 |" in md


def test_cross_validation_refits_the_lexicon_in_every_fold():
    passages = synthetic_corpus(300)
    r = cross_validate(passages, encoder=KeywordEncoder(), cache=None, features="text", lexical=True, folds=3)
    assert r["relevant"]["relevant"]["all"]["f1"] > 0.9


def test_second_annotator_agreement_weights_sampled_negatives_back_to_the_gold_set():
    from pipeline.corpus import LabelledPassage
    from pipeline.evaluate import evaluate_agreement

    def passage(pid, relevant, steps=()):
        return LabelledPassage(id=pid, text=f"passage {pid}", lang="en", relevant=relevant, themes=[],
                               steps=list(steps) if relevant else [], bank_activity=[], substantiated=False,
                               source="moncler_2023_x.pdf", page=1, labeller="team:gold")
    gold = [passage(f"r{i}", True, ["track"]) for i in range(4)] + [passage(f"n{i}", False) for i in range(40)]
    # the second annotator saw all 4 relevant passages and 4 of the 40 others; it called one of those relevant
    second = [passage(f"r{i}", True, ["track"] if i else ["remediate"]) for i in range(4)]
    second += [passage("n0", True, ["track"])] + [passage(f"n{i}", False) for i in (1, 2, 3)]
    r = evaluate_agreement([(gold, second)])
    rel = r["relevant"]["relevant"]["all"]
    assert rel["recall"] == 1.0 and rel["precision"] == round(4 / (4 + 10), 3)  # one sampled negative stands for 10
    assert r["steps"]["track"]["all"]["recall"] == 0.75
    assert r["_passages"]["samples"] == [{"passages": 8, "relevant": 4, "negatives_sampled": 4, "negatives_in_gold": 40,
                                          "sources": ["moncler_2023_x.pdf"]}]
    assert "Agreement of a second annotator" in render_markdown({"agreement": r}, "m/1")

    # a second sample drawn from another gold set weighs its negatives by its own sampling fraction
    gold2 = [passage(f"s{i}", True, ["track"]) for i in range(2)] + [passage(f"m{i}", False) for i in range(4)]
    second2 = [passage("s0", True, ["track"]), passage("s1", True, ["track"]), passage("m0", True, ["track"]),
               passage("m1", False)]
    both = evaluate_agreement([(gold, second), (gold2, second2)])["relevant"]["relevant"]["all"]
    assert both["precision"] == round(6 / (6 + 10 + 2), 3)  # sample 1: 1 FP x 10; sample 2: 1 FP x 4/2


def test_bootstrap_interval_brackets_the_figure_and_narrows_with_more_evidence():
    from pipeline.evaluate import bootstrap_f1
    from pipeline.train import prf

    rng = np.random.default_rng(1)

    def sample(n):
        y = rng.random(n) < 0.3
        pred = np.where(rng.random(n) < 0.8, y, ~y)  # right 80% of the time
        return y, pred, np.arange(n) // 4  # four passages per page

    y, pred, pages = sample(400)
    lo, hi = bootstrap_f1(y, pred, pages)
    assert lo < prf(pred, y.astype(int))["f1"] < hi
    y4, pred4, pages4 = sample(4000)
    lo4, hi4 = bootstrap_f1(y4, pred4, pages4)
    assert hi4 - lo4 < (hi - lo) * 0.6
    assert bootstrap_f1(y, y, pages) == (1.0, 1.0)
    assert bootstrap_f1(np.zeros(10, bool), np.ones(10, bool), np.arange(10)) is None
    # macro F1 over a passages x labels matrix: the mean over labels with positives
    Y = np.column_stack([y, np.zeros_like(y)])
    lo_m, hi_m = bootstrap_f1(Y, np.column_stack([pred, np.zeros_like(pred)]), pages)
    assert (lo_m, hi_m) == (lo, hi)


def test_resampling_pages_not_passages_widens_the_interval_for_clustered_errors():
    from pipeline.evaluate import bootstrap_f1

    rng = np.random.default_rng(2)
    pages = np.repeat(np.arange(100), 10)
    y = np.repeat(rng.random(100) < 0.4, 10)
    pred = np.repeat(rng.random(100) < 0.7, 10) & y | np.repeat(rng.random(100) < 0.1, 10)  # whole pages right or wrong
    lo_p, hi_p = bootstrap_f1(y, pred, pages)
    lo_i, hi_i = bootstrap_f1(y, pred, np.arange(len(y)))
    assert hi_p - lo_p > 1.5 * (hi_i - lo_i)


def test_scorecard_comparison_counts_cells_as_screening_scores_them():
    from pipeline.evaluate import compare_scorecards, scorecard_cells
    from pipeline.taxonomy import load_taxonomy

    cov = load_taxonomy().covenant("human_rights")
    gold = scorecard_cells([(True, ["child_labour"], ["track"], True), (True, ["child_labour"], ["embed_policy"], False),
                            (True, [], ["communicate"], False),  # no theme: no cell
                            (False, [], [], False)], cov)
    pred = scorecard_cells([(True, ["child_labour"], ["track"], False), (True, ["forced_labour"], ["track"], False),
                            (False, ["child_labour"], ["remediate"], False)], cov)  # not relevant: never counted
    assert gold[("child_labour", "track")] == 2 and gold[("child_labour", "embed_policy")] == 1
    assert pred[("child_labour", "track")] == 1 and pred[("child_labour", "remediate")] == 0
    c = compare_scorecards(gold, pred, cov)
    assert (c["disclosed_gold"], c["disclosed_pred"]) == (2, 2)
    assert c["disclosed"]["precision"] == 0.5 and c["disclosed"]["recall"] == 0.5
    assert c["same_score"] == round(1 - 3 / c["cells"], 3)
    n = len(cov.themes) * len(cov.steps)
    assert c["completeness"] == [round(100 * 1.5 / n, 1), round(100 * 1.0 / n, 1)]


def test_a_text_the_report_repeats_carries_its_gold_label_everywhere():
    from pipeline.evaluate import gold_rows

    texts = ["Annual report 2023 | Sustainability", "We audited 120 supplier factories in 2023.",
             "Annual report 2023 | Sustainability", "Revenue grew by 4%."]
    # gold labels the header once (at its first occurrence) and the audit sentence; the revenue line is unlabelled
    assert gold_rows(texts, [(7, 0), (3, 1)]) == [7, 3, 7, None]


def test_cross_validation_also_scores_real_report_passages_alone_and_can_train_on_part_of_them():
    passages = synthetic_corpus(300)
    for i, p in enumerate(passages[:120]):  # as if cut from two real reports
        p.labeller, p.source, p.page = "team:real-located", f"report_{i % 2}.pdf", 1 + i // 10
    said: dict[float, list[str]] = {1.0: [], 0.5: []}
    full = cross_validate(passages, encoder=KeywordEncoder(), cache=None, features="text", folds=3,
                          progress=said[1.0].append)
    real = full["_real"]
    assert real["_passages"]["all"] == 120 and real["_sources"] == ["report_0.pdf", "report_1.pdf"]
    assert real["relevant"]["relevant"]["all"]["support"] == sum(bool(p.relevant) for p in passages[:120])
    md = render_markdown({"cv": full}, "m/1")
    assert "scored on the passages cut from real reports only* (120 passages" in md
    assert "| themes | **" in md
    # training on half the real passages: every passage is still scored
    half = cross_validate(passages, encoder=KeywordEncoder(), cache=None, features="text", folds=3, train_fraction=0.5,
                          progress=said[0.5].append)
    trained = {f: sum(int(m.split("training on ")[1].split()[0]) for m in msgs) for f, msgs in said.items()}
    assert trained[1.0] == 2 * 300  # 3 folds: every passage trains in two of them
    assert 2 * 180 + 2 * 40 < trained[0.5] < 2 * 180 + 2 * 80  # written ones always, about half the real ones
    assert half["_passages"]["all"] == 300 and half["_real"]["_passages"]["all"] == 120
    assert "50% of the real passages in the training folds" in render_markdown({"cv": half}, "m/1")


def test_review_flag_yield_counts_caught_errors_and_right_evidence():
    from pipeline.corpus import LabelledPassage
    from pipeline.document import Decisions, PassageLabels
    from pipeline.evaluate import review_yield

    def gold(i, relevant):
        return LabelledPassage(id=f"g{i}", text=f"passage text number {i}", lang="en", relevant=relevant,
                               themes=["child_labour"] if relevant else [], steps=["remediate"] if relevant else [],
                               bank_activity=[], substantiated=False, source="r.pdf", page=1, labeller="team:gold")

    def row(relevant, flagged, themes=("child_labour",)):
        return PassageLabels(relevant=0.5, themes={}, steps={}, bank_activity={}, substantiated=0.0, needs_review=flagged,
                             decisions=Decisions(relevant=relevant, themes=list(themes) if relevant else [],
                                                 steps=["remediate"] if relevant else [], bank_activity=[],
                                                 substantiated=False))
    passages = [gold(0, True), gold(1, True), gold(2, False), gold(3, False), gold(4, True), gold(5, False)]
    rows = [row(True, False),                      # right, exact labels, not flagged
            row(True, False, themes=("forced_labour",)),  # relevant, wrong theme, not flagged
            row(True, True),                       # false positive, flagged
            row(True, False),                      # false positive, not flagged
            row(False, True),                      # missed, flagged
            row(False, False)]                     # right negative
    v = review_yield(passages, rows)
    assert v["flagged"] == 2 and v["relevance_errors"] == 3 and v["relevance_errors_flagged"] == 2
    assert v["evidence"]["not_flagged"] == {"passages": 3, "relevant": 0.667, "exact_labels": 0.333}
    assert v["evidence"]["flagged"] == {"passages": 1, "relevant": 0.0, "exact_labels": 0.0}
    md = render_markdown({"gold": {**score_decisions(passages, {"relevant": np.zeros((6, 1)), "substantiated": np.zeros((6, 1)),
                                                                "themes": np.zeros((6, 10)), "steps": np.zeros((6, 6)),
                                                                "bank_activity": np.zeros((6, 2))}, rows),
                                   "_review": v}}, "m/1")
    assert "catches 2 of the 3 relevance errors (67%)" in md
    assert "| not flagged | 3 | 0.67 | 0.33 |" in md
