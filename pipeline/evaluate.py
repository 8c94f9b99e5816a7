"""Measure classifier quality per label and language, the way users will meet it.

Three measurements, each reported per label with precision, recall, F1, support, and ECE:
- **gold**: the shipped model on gold-labelled passages from evaluation-only reports
  (`corpora/evaluation/`), which no model ever trains on: quality on unseen real reports.
- **cv**: cross-validation over the training corpus, grouped by source report (a model is never
  scored on passages of a report it trained on); each fold retrains every head, thresholds included.
- **aims**: the AIMS.au expert gold sentences (evaluation-only) mapped onto our steps, next to the
  published AIMSCheck figures.
Decisions are scored as the product makes them (relevance-gated), probabilities for calibration.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

from pipeline.classify import predict_labels
from pipeline.context import cut_reports, locate
from pipeline.corpus import LabelledPassage
from pipeline.embed import EmbeddingCache
from pipeline.features import passage_features
from pipeline.heads import HeadSet
from pipeline.lexicon import Lexicon
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES
from pipeline.train import cv_group, expected_calibration_error, fit_heads, macro_f1, prf

log = logging.getLogger(__name__)

# AIMS.au label -> our step, and the F1 the AIMSCheck paper reports for that label (fine-tuned 3B model).
AIMS_MAPPING = {"C3 (risk description)": ("identify_assess", 0.74), "C4 (remediation)": ("remediate", 0.67),
                "C5 (effectiveness)": ("track", 0.59)}
MULTI = {"themes": THEMES, "steps": STEPS, "bank_activity": BANK_ACTIVITIES}


def score_decisions(passages: list[LabelledPassage], proba: dict[str, np.ndarray], rows: list) -> dict:
    """Per-label precision/recall/F1 (overall, en, nl) of decisions, and ECE of probabilities, against gold."""
    langs = np.array([p.lang for p in passages])
    out: dict[str, dict] = {}

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
    out["relevant"] = {"relevant": entry(y, pred, proba["relevant"][:, 0], known)}

    known = np.array([p.substantiated is not None and p.relevant is not None for p in passages])
    y = np.array([bool(p.substantiated) for p in passages], dtype=int)
    pred = np.array([r.decisions.substantiated for r in rows])
    out["substantiated"] = {"substantiated": entry(y, pred, proba["substantiated"][:, 0], known)}
    # the head is trained on relevant passages only: its calibration is measured there too
    on_relevant = known & np.array([bool(p.relevant) for p in passages])
    if on_relevant.any():
        out["substantiated"]["substantiated"]["ece"] = expected_calibration_error(
            proba["substantiated"][on_relevant, 0], y[on_relevant])

    for head, labels in MULTI.items():
        known = np.array([getattr(p, head) is not None and p.relevant is not None for p in passages])
        out[head] = {}
        on_relevant = known & np.array([bool(p.relevant) for p in passages])
        for j, label in enumerate(labels):
            y = np.array([label in (getattr(p, head) or []) for p in passages], dtype=int)
            pred = np.array([label in getattr(r.decisions, head) for r in rows])
            out[head][label] = entry(y, pred, proba[head][:, j], known)
            # the label heads give P(label | relevant): their calibration is measured on relevant passages
            out[head][label]["ece"] = expected_calibration_error(proba[head][on_relevant, j], y[on_relevant]) \
                if on_relevant.any() else None
        out[head]["_macro_f1"] = macro_f1(out[head])
    out["_passages"] = {"all": len(passages), "en": int((langs == "en").sum()), "nl": int((langs == "nl").sum())}
    return out


def evaluate_gold(heads: HeadSet, passages: list[LabelledPassage], *, encoder, cache: EmbeddingCache | None,
                  reports_dir: Path | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """The shipped model on gold passages from reports it never saw. With `reports_dir`, each gold
    passage found in its report (cut as `imvo screen` cuts it) is classified in its page context,
    exactly as screening that report would; the rest (and every passage without the reports) alone."""
    texts = [p.text for p in passages]
    X = passage_features(texts, [p.heading for p in passages], features=heads.features, encoder=encoder, cache=cache)
    proba, rows = predict_labels(heads, X, texts)
    in_context = 0
    if reports_dir is not None and heads.context is not None:
        reports = cut_reports(reports_dir, {p.source for p in passages}, progress=progress)
        located = locate(reports, [p.source for p in passages], texts)
        for r, rep in enumerate(reports):
            mine = [(i, loc[1]) for i, loc in enumerate(located) if loc is not None and loc[0] == r]
            if not mine:
                continue
            RX = passage_features(rep.texts, rep.headings, features=heads.features, encoder=encoder, cache=cache)
            rep_proba, rep_rows = predict_labels(heads, RX, rep.texts, pages=rep.pages)
            for i, j in mine:
                for name in proba:
                    proba[name][i] = rep_proba[name][j]
                rows[i] = rep_rows[j]
            in_context += len(mine)
    result = score_decisions(passages, proba, rows)
    result["_sources"] = sorted({p.source for p in passages})
    result["_in_page_context"] = in_context
    return result


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


def evaluate_agreement(gold: list[LabelledPassage], second: list[LabelledPassage]) -> dict:
    """A second annotator's blind labels (`corpora/evaluation/agreement/`) scored against gold as if they
    were decisions: the ceiling the labelling rules allow. The second annotation covers every relevant gold
    passage and a uniform random sample of the others, so each sampled negative stands for
    (gold negatives / sampled negatives) passages in precision and recall."""
    by_id = {p.id: p for p in gold}
    pairs = [(by_id[s.id], s) for s in second if s.id in by_id and s.relevant is not None]
    if not pairs:
        return {}
    neg_total = sum(not p.relevant for p in gold)
    neg_sampled = sum(not g.relevant for g, _ in pairs)
    w = np.array([1.0 if g.relevant else neg_total / max(neg_sampled, 1) for g, _ in pairs])
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
                        "relevant": sum(bool(g.relevant) for g, _ in pairs), "negatives_sampled": neg_sampled,
                        "negatives_in_gold": neg_total}
    return out


def cross_validate(passages: list[LabelledPassage], *, encoder, cache: EmbeddingCache | None, features: str,
                   lexical: bool = False, folds: int = 5, random_state: int = 0,
                   progress: Callable[[str], None] | None = None) -> dict:
    """Grouped by source report: every fold retrains all heads (C, calibration, thresholds, and with
    `lexical` the lexicon) from scratch."""
    from pipeline.encoders import encoder_id

    say = progress or (lambda m: log.info(m))
    X = passage_features([p.text for p in passages], [p.heading for p in passages], features=features,
                         encoder=encoder, cache=cache)
    groups = np.array([cv_group(p) for p in passages])
    proba: dict[str, np.ndarray] = {}
    rows: list = [None] * len(passages)
    for k, (train, test) in enumerate(GroupKFold(n_splits=folds).split(X, groups=groups), 1):
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


def _label_table(r: dict, *, ece: bool) -> list[str]:
    """Per-label rows and macro F1 of one measurement, every head; with `ece`, a calibration column.
    Without it (labels, not probabilities), labels with no positive passage are left out."""
    tail = " ECE |" if ece else ""
    lines = ["| head | label | P | R | F1 | support | F1 en | F1 nl |" + tail, "|---|---|---|---|---|---|---|---|" + ("---|" if ece else "")]
    for head in ("relevant", "themes", "steps", "bank_activity", "substantiated"):
        for label, e in r[head].items():
            if label.startswith("_") or (not ece and e["all"]["support"] == 0):
                continue
            a = e["all"]
            lines.append(f"| {head} | {label} | {_fmt(a['precision'])} | {_fmt(a['recall'])} | **{_f1(a)}** | "
                         f"{a['support']} | {_f1(e.get('en'))} | {_f1(e.get('nl'))} |" + (f" {_fmt(e['ece'])} |" if ece else ""))
        if "_macro_f1" in r[head]:
            m = r[head]["_macro_f1"]
            lines.append(f"| {head} | *macro F1* | | | **{_fmt(m.get('all'))}** | | {_fmt(m.get('en'))} | "
                         f"{_fmt(m.get('nl'))} |" + (" |" if ece else ""))
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
                      f"{r['_passages']['nl']} nl)" + (f"; sources: {', '.join(r['_sources'])}" if "_sources" in r else "")
                  + (f"; {r['_in_page_context']} of them classified in their report's page context, as `imvo screen` does"
                     if r.get("_in_page_context") else ""), "",
                  *_label_table(r, ece=True)]
    g = results.get("agreement")
    if g:
        n = g["_passages"]
        lines += ["", f"**Agreement of a second annotator with gold** (the ceiling the labelling rules allow): "
                      f"{n['all']} gold passages ({n['en']} en, {n['nl']} nl) labelled again blind, under "
                      f"`corpora/LABELLING.md`: all {n['relevant']} relevant ones and {n['negatives_sampled']} of the "
                      f"{n['negatives_in_gold']} others, drawn at random and weighted back to the gold set.", "",
                  *_label_table(g, ece=False)]
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
