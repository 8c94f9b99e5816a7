"""Measure classifier quality per label and language, the way users will meet it.

Three measurements, each reported per label with precision, recall, F1, support, and ECE:
- **gold**: the shipped model on gold-labelled passages from evaluation-only reports
  (`corpora/evaluation/`), which no model ever trains on: quality on unseen real reports.
- **cv**: cross-validation over the training corpus, grouped by source report (a model is never
  scored on passages of a report it trained on); each fold retrains every head, thresholds included.
  Scored on every passage, and again on the passages cut from real reports only (`_real`): written
  passages are easier than report text, so `_real` is what a development report looks like to a model
  that never saw it. `train_fraction` keeps only part of the real passages in the training folds (every
  passage is still scored): the learning curve `python -m benchmarks.learning_curve` draws.
- **aims**: the AIMS.au expert gold sentences (evaluation-only) mapped onto our steps, next to the
  published AIMSCheck figures.
Decisions are scored as the product makes them (relevance-gated), probabilities for calibration.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

from pipeline.classify import predict_labels
from pipeline.context import cut_reports, locate
from pipeline.corpus import LabelledPassage, text_key
from pipeline.embed import EmbeddingCache
from pipeline.features import passage_features
from pipeline.heads import HEADS, HeadSet
from pipeline.lexicon import Lexicon
from pipeline.score import cell_value, cells_of, completeness
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES, Covenant
from pipeline.train import cv_group, expected_calibration_error, fit_heads, is_real_cut, macro_f1, prf

log = logging.getLogger(__name__)

# AIMS.au label -> our step, and the F1 the AIMSCheck paper reports for that label (fine-tuned 3B model).
AIMS_MAPPING = {"C3 (risk description)": ("identify_assess", 0.74), "C4 (remediation)": ("remediate", 0.67),
                "C5 (effectiveness)": ("track", 0.59)}
MULTI = {"themes": THEMES, "steps": STEPS, "bank_activity": BANK_ACTIVITIES}


BOOTSTRAP_ROUNDS = 2000


def bootstrap_f1(y: np.ndarray, pred: np.ndarray, clusters: np.ndarray, *, rounds: int = BOOTSTRAP_ROUNDS,
                 seed: int = 0) -> tuple[float, float] | None:
    """90% percentile interval of F1 (one label) or macro F1 (a passages x labels matrix: the mean over
    labels with positives in the resample, as `macro_f1`), resampling whole clusters (report pages):
    passages on one page are not independent evidence."""
    y = np.asarray(y, dtype=bool).reshape(len(y), -1)
    pred = np.asarray(pred, dtype=bool).reshape(len(pred), -1)
    if not y.any():
        return None
    _, c = np.unique(clusters, return_inverse=True)
    n_c = int(c.max()) + 1
    tp, fp, fn = (np.zeros((n_c, y.shape[1])) for _ in range(3))
    np.add.at(tp, c, y & pred)
    np.add.at(fp, c, ~y & pred)
    np.add.at(fn, c, y & ~pred)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_c, np.full(n_c, 1.0 / n_c), size=rounds).astype(np.float64)  # rounds x clusters
    TP, FP, FN = counts @ tp, counts @ fp, counts @ fn
    has = TP + FN > 0  # labels with positives in the resample
    f1 = np.where(has, 2 * TP / np.maximum(2 * TP + FP + FN, 1e-12), 0.0)
    n = has.sum(axis=1)
    macro = f1.sum(axis=1)[n > 0] / n[n > 0]
    lo, hi = np.percentile(macro, [5, 95])
    return round(float(lo), 3), round(float(hi), 3)


def _clusters(passages: list[LabelledPassage]) -> np.ndarray:
    """A passage's report page; a passage without a page is a cluster of its own."""
    return np.array([f"{p.source}#{p.page}" if p.page is not None else f"id:{p.id}" for p in passages])


def score_decisions(passages: list[LabelledPassage], proba: dict[str, np.ndarray], rows: list) -> dict:
    """Per-label precision/recall/F1 (overall, en, nl) of decisions, and ECE of probabilities, against gold;
    for relevance, substantiation and each head's macro F1 also a 90% bootstrap interval (`_ci`)."""
    langs = np.array([p.lang for p in passages])
    clusters = _clusters(passages)
    out: dict[str, dict] = {}

    def interval(y: np.ndarray, pred: np.ndarray, sel: np.ndarray) -> dict:
        ci = {"all": bootstrap_f1(y[sel], pred[sel], clusters[sel])}
        for lang in ("en", "nl"):
            s = sel & (langs == lang)
            ci[lang] = bootstrap_f1(y[s], pred[s], clusters[s]) if s.any() else None
        return ci

    def entry(y: np.ndarray, pred: np.ndarray, p: np.ndarray, sel: np.ndarray) -> dict:
        e = {"all": prf(pred[sel], y[sel]), "ece": expected_calibration_error(p[sel], y[sel]) if sel.any() else None}
        for lang in ("en", "nl"):
            s = sel & (langs == lang)
            if s.any():
                e[lang] = prf(pred[s], y[s])
        return e

    known = np.array([p.relevant is not None for p in passages])
    y = np.array([bool(p.relevant) for p in passages], dtype=int)
    pred = np.array([r.decisions.relevant for r in rows])
    out["relevant"] = {"relevant": entry(y, pred, proba["relevant"][:, 0], known), "_ci": interval(y, pred, known)}

    known = np.array([p.substantiated is not None and p.relevant is not None for p in passages])
    y = np.array([bool(p.substantiated) for p in passages], dtype=int)
    pred = np.array([r.decisions.substantiated for r in rows])
    out["substantiated"] = {"substantiated": entry(y, pred, proba["substantiated"][:, 0], known),
                            "_ci": interval(y, pred, known)}
    # the head is trained on relevant passages only: its calibration is measured there too
    on_relevant = known & np.array([bool(p.relevant) for p in passages])
    if on_relevant.any():
        out["substantiated"]["substantiated"]["ece"] = expected_calibration_error(
            proba["substantiated"][on_relevant, 0], y[on_relevant])

    for head, labels in MULTI.items():
        known = np.array([getattr(p, head) is not None and p.relevant is not None for p in passages])
        out[head] = {}
        on_relevant = known & np.array([bool(p.relevant) for p in passages])
        Y = np.zeros((len(passages), len(labels)), dtype=bool)
        PRED = np.zeros_like(Y)
        for j, label in enumerate(labels):
            y = np.array([label in (getattr(p, head) or []) for p in passages], dtype=int)
            pred = np.array([label in getattr(r.decisions, head) for r in rows])
            Y[:, j], PRED[:, j] = y == 1, pred
            out[head][label] = entry(y, pred, proba[head][:, j], known)
            # the label heads give P(label | relevant): their calibration is measured on relevant passages
            out[head][label]["ece"] = expected_calibration_error(proba[head][on_relevant, j], y[on_relevant]) \
                if on_relevant.any() else None
        out[head]["_macro_f1"] = macro_f1(out[head])
        out[head]["_ci"] = interval(Y, PRED, known)
    out["_passages"] = {"all": len(passages), "en": int((langs == "en").sum()), "nl": int((langs == "nl").sum())}
    return out


FULL_REPORT = 0.95  # share of a report's passages that must be labelled before its scorecard is compared


def scorecard_cells(items: list[tuple], covenant: Covenant) -> dict[tuple[str, str], int]:
    """Cell scores as `pipeline.score` derives them, from (relevant, themes, steps, substantiated) per passage."""
    n: Counter = Counter()
    n_sub: Counter = Counter()
    for relevant, themes, steps, substantiated in items:
        if not relevant:
            continue
        for cell in cells_of(themes, steps, covenant):
            n[cell] += 1
            n_sub[cell] += bool(substantiated)
    return {(t, s): cell_value(n[(t, s)], n_sub[(t, s)], covenant.rubric) for t in covenant.themes for s in covenant.steps}


def compare_scorecards(gold: dict[tuple[str, str], int], pred: dict[tuple[str, str], int], covenant: Covenant) -> dict:
    """A predicted scorecard against the one the gold labels give: which cells are disclosed (score >= 1),
    how many cells get the same score, and the completeness figure of each."""
    cells = list(gold)
    y = np.array([gold[c] > 0 for c in cells], dtype=int)
    d = np.array([pred[c] > 0 for c in cells])
    return {"cells": len(cells), "disclosed_gold": int(y.sum()), "disclosed_pred": int(d.sum()), "disclosed": prf(d, y),
            "same_score": round(float(np.mean([gold[c] == pred[c] for c in cells])), 3),
            "completeness": [completeness(gold, covenant), completeness(pred, covenant)]}


def gold_rows(report_texts: list[str], located: list[tuple[int, int]]) -> list[int | None]:
    """For each passage of a cut report, the gold passage that labels it, or None; `located` pairs
    (gold index, passage index). A text the report repeats (a running header, a recurring table row)
    has the label of its gold passage wherever it appears."""
    by_key = {text_key(report_texts[j]): i for i, j in located}
    return [by_key.get(text_key(t)) for t in report_texts]


def evaluate_gold(heads: HeadSet, passages: list[LabelledPassage], *, encoder, cache: EmbeddingCache | None,
                  reports_dir: Path | None = None, covenant: Covenant | None = None,
                  progress: Callable[[str], None] | None = None) -> dict:
    """The shipped model on gold passages from reports it never saw. With `reports_dir`, each gold
    passage found in its report (cut as `imvo screen` cuts it) is classified in its page context,
    exactly as screening that report would; the rest (and every passage without the reports) alone.
    With a `covenant`, each report labelled (almost) in full also has its scorecard compared with the
    scorecard its gold labels give (passages left unlabelled count as not relevant)."""
    texts = [p.text for p in passages]
    X = passage_features(texts, [p.heading for p in passages], features=heads.features, encoder=encoder, cache=cache)
    proba, rows = predict_labels(heads, X, texts)
    in_context, coverage, scorecards = 0, {}, {}
    if reports_dir is not None and heads.context is not None:
        reports = cut_reports(reports_dir, {p.source for p in passages}, progress=progress)
        located = locate(reports, [p.source for p in passages], texts)
        for r, rep in enumerate(reports):
            mine = [(i, loc[1]) for i, loc in enumerate(located) if loc is not None and loc[0] == r]
            gold_of = gold_rows(rep.texts, mine)
            coverage[rep.source] = [sum(g is not None for g in gold_of), len(rep.texts)]
            if not mine:
                continue
            RX = passage_features(rep.texts, rep.headings, features=heads.features, encoder=encoder, cache=cache)
            rep_proba, rep_rows = predict_labels(heads, RX, rep.texts, pages=rep.pages)
            for i, j in mine:
                for name in proba:
                    proba[name][i] = rep_proba[name][j]
                rows[i] = rep_rows[j]
            in_context += len(mine)
            if covenant is not None and coverage[rep.source][0] >= FULL_REPORT * len(rep.texts):
                gold_cells = scorecard_cells([(passages[i].relevant, passages[i].themes or [], passages[i].steps or [],
                                               passages[i].substantiated) for i in gold_of if i is not None], covenant)
                pred_cells = scorecard_cells([(d.relevant, d.themes, d.steps, d.substantiated)
                                              for d in (row.decisions for row in rep_rows)], covenant)
                scorecards[rep.source] = {"coverage": coverage[rep.source],
                                          **compare_scorecards(gold_cells, pred_cells, covenant)}
    result = score_decisions(passages, proba, rows)
    result["_review"] = review_yield(passages, rows)
    result["_sources"] = sorted({p.source for p in passages})
    result["_in_page_context"] = in_context
    result["_coverage"] = coverage  # per report: [passages labelled, passages the report is cut into]
    if scorecards:
        result["_scorecards"] = {"covenant": covenant.id, "reports": scorecards}
    return result


def review_yield(passages: list[LabelledPassage], rows: list) -> dict:
    """What the `needs_review` flag is worth to an analyst, against gold: how many passages it flags, how
    many of the relevance errors it catches, and how often a passage offered as evidence (decided relevant)
    is right, flagged or not: relevant at all, and relevant with exactly the gold themes and steps."""
    flag = np.array([bool(r.needs_review) for r in rows])
    decided = np.array([bool(r.decisions.relevant) for r in rows])
    gold = np.array([bool(p.relevant) for p in passages])
    exact = np.array([bool(p.relevant) and set(r.decisions.themes) == set(p.themes or [])
                      and set(r.decisions.steps) == set(p.steps or []) for p, r in zip(passages, rows)])
    wrong = decided != gold

    def share(a: np.ndarray, of: np.ndarray) -> float | None:
        return round(float(a[of].mean()), 3) if of.any() else None

    evidence = {}
    for name, sel in (("flagged", decided & flag), ("not_flagged", decided & ~flag)):
        evidence[name] = {"passages": int(sel.sum()), "relevant": share(gold, sel), "exact_labels": share(exact, sel)}
    return {"passages": len(rows), "flagged": int(flag.sum()), "relevance_errors": int(wrong.sum()),
            "relevance_errors_flagged": int((wrong & flag).sum()), "evidence": evidence}


TRANSLATION_PREFIX = "nltr-"  # id of a Dutch translation = prefix + id of its English gold passage


def evaluate_paired(heads: HeadSet, gold: list[LabelledPassage], translations: list[LabelledPassage], *,
                    encoder, cache: EmbeddingCache | None) -> dict:
    """English gold passages against their Dutch translations (`corpora/evaluation/translated/`): the
    same content and labels in both languages, so the en/nl columns measure the language gap alone.
    Both sides are classified on their own (no page context: a translation has no report)."""
    by_id = {p.id: p for p in gold}
    pairs = [(by_id[t.id.removeprefix(TRANSLATION_PREFIX)], t) for t in translations
             if t.id.startswith(TRANSLATION_PREFIX) and t.id.removeprefix(TRANSLATION_PREFIX) in by_id]
    pairs = [(en, nl) for en, nl in pairs if en.lang == "en" and nl.lang == "nl" and en.text != nl.text]
    if not pairs:
        return {}
    passages = [en for en, _ in pairs] + [nl for _, nl in pairs]
    texts = [p.text for p in passages]
    X = passage_features(texts, [p.heading for p in passages], features=heads.features, encoder=encoder, cache=cache)
    proba, rows = predict_labels(heads, X, texts)
    result = score_decisions(passages, proba, rows)
    n = len(pairs)
    agree = np.mean([a.decisions.relevant == b.decisions.relevant for a, b in zip(rows[:n], rows[n:])])
    result["_pairs"] = {"pairs": n, "relevant": sum(bool(en.relevant) for en, _ in pairs),
                        "same_relevance_decision": round(float(agree), 3)}
    return result


def evaluate_agreement(samples: list[tuple[list[LabelledPassage], list[LabelledPassage]]]) -> dict:
    """A second annotator's blind labels (`corpora/evaluation/agreement/`) scored against gold as if they
    were decisions: the ceiling the labelling rules allow. Each sample is (the gold passages it was drawn
    from, the second labels). A sample covers every relevant passage of its gold set and a uniform random
    sample of the others, so each sampled negative stands for (gold negatives / sampled negatives) of its set."""
    pairs, w, parts = [], [], []
    for gold, second in samples:
        by_id = {p.id: p for p in gold}
        mine = [(by_id[s.id], s) for s in second if s.id in by_id and s.relevant is not None]
        if not mine:
            continue
        neg_total = sum(not p.relevant for p in gold)
        neg_sampled = sum(not g.relevant for g, _ in mine)
        pairs += mine
        w += [1.0 if g.relevant else neg_total / max(neg_sampled, 1) for g, _ in mine]
        parts.append({"passages": len(mine), "relevant": sum(bool(g.relevant) for g, _ in mine),
                      "negatives_sampled": neg_sampled, "negatives_in_gold": neg_total,
                      "sources": sorted({g.source for g, _ in mine})})
    if not pairs:
        return {}
    w = np.array(w)
    langs = np.array([g.lang for g, _ in pairs])

    def entry(get) -> dict:
        y = np.array([get(g) for g, _ in pairs], dtype=int); pred = np.array([get(s) for _, s in pairs])
        e = {"all": prf(pred, y, w)}
        for lang in ("en", "nl"):
            sel = langs == lang
            e[lang] = prf(pred[sel], y[sel], w[sel])
        return e

    out: dict[str, dict] = {"relevant": {"relevant": entry(lambda p: bool(p.relevant))},
                            "substantiated": {"substantiated": entry(lambda p: bool(p.relevant and p.substantiated))}}
    for head, labels in MULTI.items():
        out[head] = {label: entry(lambda p, h=head, lab=label: lab in (getattr(p, h) or [])) for label in labels}
        out[head]["_macro_f1"] = macro_f1(out[head])
    out["_passages"] = {"all": len(pairs), "en": int((langs == "en").sum()), "nl": int((langs == "nl").sum()),
                        "relevant": sum(part["relevant"] for part in parts), "samples": parts}
    return out


def cross_validate(passages: list[LabelledPassage], *, encoder, cache: EmbeddingCache | None, features: str,
                   lexical: bool = False, folds: int = 5, random_state: int = 0, train_fraction: float = 1.0,
                   progress: Callable[[str], None] | None = None) -> dict:
    """Grouped by source report: every fold retrains all heads (C, calibration, thresholds, and with
    `lexical` the lexicon) from scratch. With `train_fraction` < 1, a random share of the passages cut
    from real reports (the same draw in every fold) never enters training; all passages are scored."""
    from pipeline.encoders import encoder_id

    say = progress or (lambda m: log.info(m))
    X = passage_features([p.text for p in passages], [p.heading for p in passages], features=features,
                         encoder=encoder, cache=cache)
    groups = np.array([cv_group(p) for p in passages])
    real = np.array([is_real_cut(p) for p in passages])
    trainable = ~real | (np.random.default_rng(random_state).random(len(passages)) < train_fraction)
    proba: dict[str, np.ndarray] = {}
    rows: list = [None] * len(passages)
    for k, (train, test) in enumerate(GroupKFold(n_splits=folds).split(X, groups=groups), 1):
        train = train[trainable[train]]
        say(f"fold {k}/{folds}: training on {len(train)} passages, scoring {len(test)}")
        lexicon = Lexicon.fit([passages[i].text for i in train]) if lexical else None
        heads, _ = fit_heads(X[train], [passages[i] for i in train], random_state=random_state, lexicon=lexicon,
                             progress=lambda m: None)
        fold_set = HeadSet(heads=heads, manifest={"name": "cv", "version": str(k), "encoder": encoder_id(encoder)},
                           lexicon=lexicon)
        fold_proba, fold_rows = predict_labels(fold_set, X[test], [passages[i].text for i in test])
        for name, values in fold_proba.items():
            proba.setdefault(name, np.zeros((len(passages), values.shape[1])))[test] = values
        for i, row in zip(test, fold_rows):  # each fold decides with its own thresholds
            rows[i] = row
    result = score_decisions(passages, proba, rows)
    result["_folds"] = folds
    result["_train_fraction"] = train_fraction
    result["_real_in_training"] = int((real & trainable).sum())
    if real.any():
        keep = np.flatnonzero(real)
        result["_real"] = score_decisions([passages[i] for i in keep], {k: v[keep] for k, v in proba.items()},
                                          [rows[i] for i in keep])
        result["_real"]["_sources"] = sorted({passages[i].source for i in keep})
    return result


def evaluate_aims(heads: HeadSet, csv_path: Path, *, encoder, cache: EmbeddingCache | None) -> dict:
    """AIMS.au gold sentences: F1 of our mapped step decisions next to the published AIMSCheck figures."""
    with open(csv_path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["sentence"] for r in rows]
    X = passage_features(texts, [None] * len(texts), features=heads.features, encoder=encoder, cache=cache)
    _, decisions = predict_labels(heads, X, texts)
    out = {"_sentences": len(rows), "_statements": len({r["statement_id"] for r in rows})}
    for column, (step, published) in AIMS_MAPPING.items():
        y = np.array([int(r[column]) for r in rows])
        pred = np.array([step in d.decisions.steps for d in decisions])
        out[column] = {"step": step, **prf(pred, y), "aimscheck_f1": published}
    return out


def _fmt(x) -> str:
    return "–" if x is None else (f"{x:.2f}" if isinstance(x, float) else str(x))


def _f1(e: dict | None) -> str:
    """F1 of a scope, or a dash when the scope has no positive passage (no F1 to speak of)."""
    return _fmt(e["f1"]) if e and e.get("support", 0) > 0 else "–"


def _ci(ci: dict | None, scope: str) -> str:
    """` [lo–hi]` after a figure that has a bootstrap interval."""
    iv = (ci or {}).get(scope)
    return f" [{iv[0]:.2f}–{iv[1]:.2f}]" if iv else ""


def _label_table(r: dict, *, ece: bool) -> list[str]:
    """Per-label rows and macro F1 of one measurement, every head; with `ece`, a calibration column.
    Without it (labels, not probabilities), labels with no positive passage are left out. Figures
    with a bootstrap interval (`_ci`) show it in brackets."""
    tail = " ECE |" if ece else ""
    lines = ["| head | label | P | R | F1 | support | F1 en | F1 nl |" + tail, "|---|---|---|---|---|---|---|---|" + ("---|" if ece else "")]
    for head in ("relevant", "themes", "steps", "bank_activity", "substantiated"):
        ci = r[head].get("_ci")
        single = "_macro_f1" not in r[head]
        for label, e in r[head].items():
            if label.startswith("_") or (not ece and e["all"]["support"] == 0):
                continue
            a = e["all"]
            row_ci = ci if single else None  # a head with several labels has an interval for its macro F1 only
            lines.append(f"| {head} | {label} | {_fmt(a['precision'])} | {_fmt(a['recall'])} | **{_f1(a)}**{_ci(row_ci, 'all')} | "
                         f"{a['support']} | {_f1(e.get('en'))}{_ci(row_ci, 'en')} | {_f1(e.get('nl'))}{_ci(row_ci, 'nl')} |"
                         + (f" {_fmt(e['ece'])} |" if ece else ""))
        if not single:
            m = r[head]["_macro_f1"]
            lines.append(f"| {head} | *macro F1* | | | **{_fmt(m.get('all'))}**{_ci(ci, 'all')} | | {_fmt(m.get('en'))}"
                         f"{_ci(ci, 'en')} | {_fmt(m.get('nl'))}{_ci(ci, 'nl')} |" + (" |" if ece else ""))
    return lines


def _sources(r: dict) -> str:
    """The gold reports, with how much of each report is labelled when the reports were cut."""
    if "_sources" not in r:
        return ""
    cov = r.get("_coverage") or {}
    return "; sources (passages labelled of the passages the report is cut into): " + ", ".join(
        f"{s} ({cov[s][0]} of {cov[s][1]})" if s in cov else s for s in r["_sources"])


def _scorecard_table(sc: dict | None) -> list[str]:
    if not sc:
        return []
    lines = ["", f"*Scorecards of the reports labelled in full* (covenant `{sc['covenant']}`, every theme × step cell; "
                 "a cell is disclosed when at least one passage is decided for it, as `imvo screen` scores it):", "",
             "| report | passages labelled | cells disclosed: gold | predicted | P | R | F1 | cells with the same score "
             "| completeness: gold | predicted |", "|---|---|---|---|---|---|---|---|---|---|"]
    for source, e in sc["reports"].items():
        d = e["disclosed"]
        lines.append(f"| {source} | {e['coverage'][0]} of {e['coverage'][1]} | {e['disclosed_gold']} | {e['disclosed_pred']} | "
                     f"{_fmt(d['precision'])} | {_fmt(d['recall'])} | **{_fmt(d['f1'])}** | {e['same_score']:.0%} | "
                     f"{e['completeness'][0]} | {e['completeness'][1]} |")
    return lines


def head_figure(r: dict, head: str, scope: str = "all") -> float | None:
    """One figure per head of a `score_decisions` result: F1 of a binary head (relevant, substantiated),
    macro F1 of a head with several labels; None where the scope has no positive passage."""
    if "_macro_f1" in r[head]:
        return r[head]["_macro_f1"].get(scope)
    e = r[head][head].get(scope)
    return e["f1"] if e and e["support"] else None


def _summary_table(r: dict) -> list[str]:
    """One row per head: its `head_figure`, overall with its interval, and per language."""
    lines = ["| head | F1 / macro F1 | en | nl |", "|---|---|---|---|"]
    for head in HEADS:
        ci = r[head].get("_ci")
        a, en, nl = (_fmt(head_figure(r, head, scope)) for scope in ("all", "en", "nl"))
        lines.append(f"| {head} | **{a}**{_ci(ci, 'all')} | {en}{_ci(ci, 'en')} | {nl}{_ci(ci, 'nl')} |")
    return lines


def _real_block(r: dict) -> list[str]:
    """The cross-validation scored on the passages cut from real reports only."""
    real = r.get("_real")
    if not real:
        return []
    n = real["_passages"]
    share = r.get("_train_fraction", 1.0)
    trained = "" if share >= 1.0 else f"; {share:.0%} of the real passages in the training folds"
    return ["", f"*The same cross-validation scored on the passages cut from real reports only* ({n['all']} passages, "
                f"{real['relevant']['relevant']['all']['support']} relevant, from {len(real['_sources'])} reports{trained}): what a report looks "
                "like to a model that never trained on it; passages the team wrote are easier than report text.", "",
            *_summary_table(real)]


def _review_block(r: dict) -> list[str]:
    """What reading the `needs_review` passages is worth, on gold."""
    v = r.get("_review")
    if not v or not v["passages"]:
        return []
    ev = v["evidence"]
    caught = v["relevance_errors_flagged"] / v["relevance_errors"] if v["relevance_errors"] else 0.0
    lines = ["", f"*The `needs_review` flag on these passages*: it marks {v['flagged']} of {v['passages']} passages "
                 f"({v['flagged'] / v['passages']:.1%}) and catches {v['relevance_errors_flagged']} of the "
                 f"{v['relevance_errors']} relevance errors ({caught:.0%}). Passages offered as evidence (decided relevant):", "",
             "| evidence passages | count | relevant by gold | relevant with exactly the gold themes and steps |",
             "|---|---|---|---|"]
    for name, title in (("not_flagged", "not flagged"), ("flagged", "flagged `needs_review`")):
        e = ev[name]
        lines.append(f"| {title} | {e['passages']} | {_fmt(e['relevant'])} | {_fmt(e['exact_labels'])} |")
    return lines


def render_markdown(results: dict, model: str) -> str:
    """Tables for the README and the model folder: per label, per language, per measurement."""
    lines = [f"Model `{model}`. Decisions as `imvo screen` makes them (relevance-gated); F1 per language "
             "(– where a language has no positive passage); macro F1 over labels with positives; "
             "ECE = expected calibration error of the label's probability (for themes, steps, bank activities and "
             "substantiated: of P(label | relevant), on the passages labelled relevant)."]
    for key, title in (("gold", "Unseen real reports (gold labels on evaluation-only reports)"),
                       ("cv", "Cross-validation on the training corpus, grouped by source report")):
        r = results.get(key)
        if not r:
            continue
        lines += ["", f"**{title}**: {r['_passages']['all']} passages ({r['_passages']['en']} en, "
                      f"{r['_passages']['nl']} nl)" + _sources(r)
                  + (f"; {r['_in_page_context']} of them classified in their report's page context, as `imvo screen` does"
                     if r.get("_in_page_context") else ""), "",
                  *_label_table(r, ece=True), *_scorecard_table(r.get("_scorecards")), *_review_block(r),
                  *_real_block(r)]
    g = results.get("agreement")
    if g:
        n = g["_passages"]
        drawn = "; ".join(f"all {part['relevant']} relevant passages and {part['negatives_sampled']} of the "
                          f"{part['negatives_in_gold']} others of the gold set of "
                          + (", ".join(part["sources"]) if len(part["sources"]) <= 2 else f"{len(part['sources'])} reports")
                          for part in n["samples"])
        lines += ["", f"**Agreement of a second annotator with gold** (the ceiling the labelling rules allow): "
                      f"{n['all']} gold passages ({n['en']} en, {n['nl']} nl) labelled again blind, under "
                      f"`corpora/LABELLING.md`: {drawn}; the others drawn at random and weighted back to their gold set.",
                  "", *_label_table(g, ece=False)]
    t = results.get("paired")
    if t:
        info = t["_pairs"]
        lines += ["", f"**Dutch against English on the same content**: {info['pairs']} English gold passages "
                      f"({info['relevant']} relevant) and their Dutch translations (translated by the team, labels "
                      "copied), each classified on its own without page context; the relevance decision is the same "
                      f"in both languages for {info['same_relevance_decision']:.0%} of the pairs.", "",
                  "| head | label | support | F1 en | F1 nl | nl − en |", "|---|---|---|---|---|---|"]
        for head in ("relevant", "themes", "steps", "substantiated"):
            for label, e in t[head].items():
                if label.startswith("_") or not e.get("en") or e["en"]["support"] == 0:
                    continue
                gap = e["nl"]["f1"] - e["en"]["f1"]
                lines.append(f"| {head} | {label} | {e['en']['support']} | {_f1(e['en'])} | {_f1(e['nl'])} | {gap:+.2f} |")
            if "_macro_f1" in t[head]:
                m = t[head]["_macro_f1"]
                lines.append(f"| {head} | *macro F1* | | **{_fmt(m.get('en'))}** | **{_fmt(m.get('nl'))}** | "
                             f"{m.get('nl', 0) - m.get('en', 0):+.2f} |")
    a = results.get("aims")
    if a:
        lines += ["", f"**AIMS.au expert gold sentences** ({a['_sentences']} sentences, {a['_statements']} statements), "
                      "mapped onto our steps:", "",
                  "| AIMS.au label | our step | P | R | F1 | support | AIMSCheck F1 (published) |", "|---|---|---|---|---|---|---|"]
        for column, e in a.items():
            if column.startswith("_"):
                continue
            lines.append(f"| {column} | {e['step']} | {_fmt(e['precision'])} | {_fmt(e['recall'])} | **{_fmt(e['f1'])}** | "
                         f"{e['support']} | {e['aimscheck_f1']} |")
    return "\n".join(lines) + "\n"


README_START, README_END = "<!-- evaluation:start -->", "<!-- evaluation:end -->"


def update_readme(readme: Path, markdown: str) -> None:
    """Replace the evaluation block of the README with freshly computed tables."""
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme} has no {README_START} ... {README_END} block")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{markdown}{README_END}{tail}", encoding="utf-8")
