"""Train the classifier heads on frozen embeddings of the labelled corpus.

Per label: a class-balanced logistic regression whose regularisation is picked by grouped
cross-validation (passages from one report never sit on both sides of a split), Platt calibration
fitted on the out-of-fold scores, and the threshold that maximises out-of-fold F1. The figures
written to the manifest are those out-of-fold figures, per label and per language.

Three choices measured by leaving one development report out at a time (never on the gold set):
- `themes`, `steps`, `bank_activity` and `substantiated` learn on relevant passages only, because
  `classify` asks them only about passages the relevance head let through (they answer "which
  theme, given that it is relevant"). Given correct relevance, macro F1 rose from 0.57 to 0.64
  (themes) and from 0.59 to 0.68 (steps).
- Passages cut from real reports (`team:real-pool`, `team:real-quote`, `team:real-located`, analysts' verdicts) weigh
  more than written ones (`REAL_WEIGHT`): they look like what `imvo screen` meets. Relevance F1
  rose from 0.64 to 0.67, step macro F1 from 0.69 to 0.72.
- Every head also sees a TF-IDF lexicon of words and word pairs (`pipeline.lexicon`).
- The relevance head also stacks the vote of its nearest training passages (`pipeline.neighbours`):
  relevance F1 rose from 0.632 to 0.655. For themes and steps the vote did not help (given relevance,
  0.79 -> 0.78 and 0.69 -> 0.68), so `NEIGHBOUR_HEADS` holds only `relevant`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from pipeline.context import PageContext, cut_reports, fit_page_context, locate, page_means
from pipeline.corpus import LabelledPassage, corpus_hash, corpus_stats
from pipeline.embed import EmbeddingCache
from pipeline.features import DEFAULT_FEATURES, passage_features
from pipeline.encoders import encoder_id
from pipeline.heads import HEADS, LinearHead, evidence_features, save_headset
from pipeline.lexicon import LEXICAL_HEADS, MIN_DF, NGRAM_RANGE, Lexicon, with_lexical
from pipeline.neighbours import K_NEIGHBOURS, NEIGHBOUR_HEADS, TEMPERATURE, HeadMemory, logit, unit, vote, vote_weights
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES

log = logging.getLogger(__name__)

LABELS = {"relevant": ["relevant"], "themes": list(THEMES), "steps": list(STEPS),
          "bank_activity": list(BANK_ACTIVITIES), "substantiated": ["substantiated"]}
C_GRID = (0.25, 1.0, 4.0)
# sample weight of a passage cut from a real report, per head (written and dataset passages weigh 1)
REAL_WEIGHT = {"relevant": 8.0, "themes": 4.0, "steps": 4.0, "bank_activity": 4.0, "substantiated": 4.0}
REAL_LABELLERS = ("team:real-pool", "team:real-quote", "team:real-located", "review:")


def is_real_cut(p: LabelledPassage) -> bool:
    """Cut from a real report the way the pipeline cuts it (or reviewed on a screened report)."""
    return p.labeller.startswith(REAL_LABELLERS)


def sample_weights(passages: list[LabelledPassage], head: str) -> np.ndarray:
    return np.array([REAL_WEIGHT[head] if is_real_cut(p) else 1.0 for p in passages])


def balance_languages(weights: np.ndarray, y: np.ndarray, langs: np.ndarray) -> np.ndarray:
    """Scale each language's negatives so that its weighted share of positives equals the pooled share.

    The language of a passage says nothing about its labels, but the corpus says otherwise: real
    report passages (mostly negatives, weighted up) are English, Dutch passages are mostly written
    ones and mostly relevant. Unbalanced, the heads learn that Dutch means relevant (measured: on
    the fully labelled Dutch gold reports relevance F1 fell to 0.18-0.24 while English held 0.73)."""
    w = np.asarray(weights, dtype=np.float64).copy()
    pos_all = w[y == 1].sum()
    if pos_all == 0 or pos_all == w.sum():
        return w
    pooled = pos_all / w.sum()
    for lang in np.unique(langs):
        s = langs == lang
        pos, neg = w[s & (y == 1)].sum(), w[s & (y == 0)].sum()
        if pos > 0 and neg > 0:
            w[s & (y == 0)] *= pos * (1 - pooled) / (pooled * neg)
    return w


def cv_group(p: LabelledPassage, buckets: int = 10) -> str:
    """Cross-validation group: the report a real quote comes from; hash buckets for written passages."""
    if p.page is not None or ":" in p.source or p.source.endswith((".pdf", ".txt")):
        return p.source
    bucket = int(hashlib.sha256(p.id.encode()).hexdigest(), 16) % buckets
    return f"{p.source}#{bucket}"


def targets(passages: list[LabelledPassage], head: str) -> tuple[np.ndarray, np.ndarray]:
    """(mask of passages that carry this head's label, label matrix) for one head."""
    labels = LABELS[head]
    mask = np.zeros(len(passages), dtype=bool)
    Y = np.zeros((len(passages), len(labels)), dtype=np.int8)
    for i, p in enumerate(passages):
        if head == "relevant":
            if p.relevant is not None:
                mask[i], Y[i, 0] = True, int(p.relevant)
        elif head == "substantiated":
            # learned on relevant passages only: it tells evidence from commitment, relevance is gated
            if p.relevant and p.substantiated is not None:
                mask[i], Y[i, 0] = True, int(p.substantiated)
        else:
            # learned on relevant passages only: `classify` asks only about passages found relevant
            values = getattr(p, head)
            if values is not None and p.relevant:
                mask[i] = True
                for label in values:
                    Y[i, labels.index(label)] = 1
    return mask, Y


@dataclass
class LabelFit:
    C: float
    w: np.ndarray
    b: float
    A: float
    B: float
    threshold: float
    oof_proba: np.ndarray
    K: float = 0.0  # weight of the neighbour vote's logit (`pipeline.neighbours`); 0 without one


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e6, max_iter=1000)
    lr.fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _best_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    best_t, best_f = 0.5, -1.0
    for t in np.arange(0.05, 0.96, 0.01):
        pred = p >= t
        tp = int(np.sum(pred & (y == 1)))
        f = 2 * tp / max(int(pred.sum()) + int(y.sum()), 1)
        if f > best_f + 1e-9:
            best_t, best_f = float(t), f
    return round(best_t, 2), best_f


def fit_label(X: np.ndarray, y: np.ndarray, groups: np.ndarray, *, random_state: int = 0,
              n_splits: int = 5, Cs: tuple[float, ...] = C_GRID, weights: np.ndarray | None = None,
              vectors: np.ndarray | None = None) -> LabelFit:
    """Pick C by grouped CV, calibrate on out-of-fold scores, choose the F1-optimal threshold.
    `weights` weigh passages in the fits; calibration and threshold count every passage once.
    With `vectors` (unit embeddings of the rows), the vote of the nearest training passages
    (`pipeline.neighbours`) is stacked with the linear score: calibration then fits
    `sigmoid(A * z + K * logit(vote) + B)` on out-of-fold scores and votes."""
    splits = list(GroupKFold(n_splits=min(n_splits, len(set(groups)))).split(X, y, groups))
    lv = None
    if vectors is not None:
        w_all = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
        v = np.full(len(y), 0.5)
        for train, test in splits:
            if y[train].min() != y[train].max():
                v[test] = vote(vectors[test], vectors[train], y[train, None],
                               vote_weights(y[train], w_all[train])[:, None])[:, 0]
        lv = logit(v)
    best = None
    for C in Cs:
        z = np.zeros(len(y))
        for train, test in splits:
            if y[train].min() == y[train].max():
                z[test] = 0.0
                continue
            lr = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=random_state)
            lr.fit(X[train], y[train], sample_weight=None if weights is None else weights[train])
            z[test] = lr.decision_function(X[test])
        if lv is None:
            (A, B), K = _platt(z, y), 0.0
            s = A * z + B
        else:
            A, K, B = _stack(z, lv, y)
            s = A * z + K * lv + B
        p = 1.0 / (1.0 + np.exp(-s))
        t, f = _best_threshold(p, y)
        if best is None or f > best[0] + 1e-6:
            best = (f, C, A, K, B, t, p)
    f, C, A, K, B, t, p = best
    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=random_state)
    lr.fit(X, y, sample_weight=weights)
    return LabelFit(C=C, w=lr.coef_[0].copy(), b=float(lr.intercept_[0]), A=A, B=B, threshold=t, oof_proba=p, K=K)


def _stack(z: np.ndarray, lv: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Weights (A, K, B) of the linear score and the neighbour vote's logit, fitted like Platt scaling."""
    lr = LogisticRegression(C=1e6, max_iter=1000)
    lr.fit(np.column_stack([z, lv]), y)
    return float(lr.coef_[0, 0]), float(lr.coef_[0, 1]), float(lr.intercept_[0])


def prf(pred: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    """Precision, recall and F1 of decisions; with `weights`, each passage counts that many times
    (support stays the plain count of positives)."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    tp = float(np.sum(w * (pred & (y == 1))))
    fp = float(np.sum(w * (pred & (y == 0))))
    fn = float(np.sum(w * (~pred & (y == 1))))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "support": int(y.sum())}


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (p >= lo) & (p < hi) if hi < 1 else (p >= lo) & (p <= hi)
        if inside.any():
            ece += inside.mean() * abs(p[inside].mean() - y[inside].mean())
    return round(float(ece), 4)


def fit_heads(
    X: np.ndarray,
    passages: list[LabelledPassage],
    *,
    random_state: int = 0,
    lexicon: Lexicon | None = None,
    neighbours: tuple[str, ...] = NEIGHBOUR_HEADS,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, LinearHead], dict[str, dict]]:
    """Fit every head on features `X` (row i for passages[i]); returns heads and out-of-fold metrics.
    With a `lexicon`, the heads in `LEXICAL_HEADS` (all of them) also learn on its TF-IDF features;
    the heads in `neighbours` also stack the vote of the nearest training passages (`pipeline.neighbours`)."""
    say = progress or (lambda msg: log.info(msg))
    V = unit(X) if neighbours else None
    extra = evidence_features([p.text for p in passages])
    T = lexicon.transform([p.text for p in passages]) if lexicon is not None else None
    groups = np.array([cv_group(p) for p in passages])
    langs = np.array([p.lang for p in passages])
    heads: dict[str, LinearHead] = {}
    metrics: dict[str, dict] = {}
    for head in HEADS:
        mask, Y = targets(passages, head)
        use_extra = head == "substantiated"
        Xh = np.hstack([X, extra]) if use_extra else X
        lexical = T is not None and head in LEXICAL_HEADS
        if lexical:
            Xh = with_lexical(Xh, T)
        labels = LABELS[head]
        weights = sample_weights(passages, head)[mask]
        W, b, A, B, K, T_, VW = [], [], [], [], [], [], []
        voting = head in neighbours
        metrics[head] = {}
        for j, label in enumerate(labels):
            y = Y[mask, j]
            say(f"fitting {head}:{label} on {int(mask.sum())} passages ({int(y.sum())} positive)")
            if y.sum() < 5:
                raise ValueError(f"{head}:{label} has only {int(y.sum())} positive passages; label more before training")
            balanced = balance_languages(weights, y, langs[mask])
            fit = fit_label(Xh[mask], y, groups[mask], random_state=random_state, weights=balanced,
                            vectors=V[mask] if voting else None)
            W.append(fit.w); b.append(fit.b); A.append(fit.A); B.append(fit.B); K.append(fit.K); T_.append(fit.threshold)
            if voting:
                VW.append(vote_weights(y, balanced))
            pred = fit.oof_proba >= fit.threshold
            entry = {"C": fit.C, "threshold": fit.threshold, "all": prf(pred, y),
                     "ece": expected_calibration_error(fit.oof_proba, y)}
            for lang in ("en", "nl"):
                sel = langs[mask] == lang
                if sel.any():
                    entry[lang] = prf(pred[sel], y[sel])
            metrics[head][label] = entry
        memory = HeadMemory(vectors=V[mask], rows=np.flatnonzero(mask), Y=Y[mask].astype(np.int8),
                            W=np.column_stack(VW).astype(np.float32)) if voting else None
        heads[head] = LinearHead(labels=labels, W=np.vstack(W), b=np.array(b), A=np.array(A), B=np.array(B),
                                 thresholds=np.array(T_), extra_features=use_extra, lexical=lexical,
                                 K=np.array(K), memory=memory)
    for head in ("themes", "steps", "bank_activity"):
        metrics[head]["_macro_f1"] = macro_f1(metrics[head])
    return heads, metrics


def macro_f1(entries: dict[str, dict]) -> dict[str, float]:
    """Mean F1 per scope (all, en, nl) over the labels of one head that have positives in that scope."""
    macro = {}
    for scope in ("all", "en", "nl"):
        f1s = [e[scope]["f1"] for label, e in entries.items()
               if not label.startswith("_") and scope in e and e[scope]["support"] > 0]
        if f1s:
            macro[scope] = round(float(np.mean(f1s)), 3)
    return macro


def fit_context(
    X: np.ndarray,
    passages: list[LabelledPassage],
    relevant_C: float,
    reports_dir: Path,
    *,
    encoder,
    cache: EmbeddingCache | None,
    features: str,
    lexicon: Lexicon | None = None,
    head: LinearHead | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[PageContext | None, dict]:
    """Stage 2 of the relevance head (`pipeline.context`), from the development reports found in
    `reports_dir`: each report is cut as `imvo screen` cuts it and scored by a relevance head trained
    without that report (with the neighbour vote of the fitted relevance `head`, if it has one, from
    the passages of the other reports); the labelled passages found in it are the training rows."""
    say = progress or (lambda msg: log.info(msg))
    sources = {p.source for p in passages if p.page is not None and p.relevant is not None}
    reports = cut_reports(reports_dir, sources, progress=say)
    located = locate(reports, [p.source for p in passages], [p.text for p in passages])
    mask, Y = targets(passages, "relevant")
    weights = sample_weights(passages, "relevant")
    lexical = lexicon is not None and "relevant" in LEXICAL_HEADS
    XL = with_lexical(X, lexicon.transform([p.text for p in passages])) if lexical else X
    z_self, z_page, y, groups = [], [], [], []
    for r, rep in enumerate(reports):
        rows = [i for i, loc in enumerate(located) if loc is not None and loc[0] == r and mask[i]]
        if not rows:
            continue
        train_rows = mask & np.array([p.source != rep.source for p in passages])
        lr = LogisticRegression(C=relevant_C, class_weight="balanced", max_iter=2000)
        lr.fit(XL[train_rows], Y[train_rows, 0], sample_weight=weights[train_rows])
        RX = passage_features(rep.texts, rep.headings, features=features, encoder=encoder, cache=cache)
        RV = unit(RX)
        if lexical:
            RX = with_lexical(RX, lexicon.transform(rep.texts))
        z = lr.decision_function(RX)
        if head is not None and head.votes:
            m = head.memory
            others = np.array([passages[i].source != rep.source for i in m.rows])
            v = vote(RV, m.vectors[others], m.Y[others], m.W[others])[:, 0]
            z = z + (head.K[0] / head.A[0]) * logit(v)
        zp = page_means(z, rep.pages)
        for i in rows:
            j = located[i][1]
            z_self.append(z[j]); z_page.append(zp[j]); y.append(Y[i, 0]); groups.append(rep.source)
    y_arr = np.array(y, dtype=int)
    if len(set(groups)) < 2 or y_arr.sum() < 20:
        say(f"no page-context stage: {len(y)} labelled passages located in {len(set(groups))} reports")
        return None, {"fitted": False, "reports_dir": str(reports_dir), "passages": len(y)}
    stage, metrics = fit_page_context(np.array(z_self), np.array(z_page), y_arr, np.array(groups))
    lo = metrics["leave_one_report_out"]
    say(f"page-context stage on {len(y)} passages from {len(set(groups))} reports: relevance F1 "
        f"{lo['own_score_only']['f1']} -> {lo['with_page_context']['f1']} (leave one report out)")
    return stage, {"fitted": True, **metrics}


def train(
    passages: list[LabelledPassage],
    *,
    encoder,
    out_dir: Path,
    name: str = "imvo-heads",
    model_version: str | None = None,
    cache: EmbeddingCache | None = None,
    features: str = DEFAULT_FEATURES,
    reports_dir: Path | None = None,
    lexical: bool = True,
    neighbours: tuple[str, ...] = NEIGHBOUR_HEADS,
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Fit all heads and write `out_dir/<name>/<version>/`. Returns the version folder. With
    `reports_dir` (the development reports), the relevance head also gets its page-context stage;
    with `lexical`, the heads also see a TF-IDF lexicon of the training texts."""
    say = progress or (lambda msg: log.info(msg))
    say(f"embedding {len(passages)} passages ({features})")
    X = passage_features([p.text for p in passages], [p.heading for p in passages], features=features,
                         encoder=encoder, cache=cache)
    lexicon = Lexicon.fit([p.text for p in passages]) if lexical else None
    heads, metrics = fit_heads(X, passages, random_state=random_state, lexicon=lexicon, neighbours=neighbours,
                               progress=say)
    context, context_metrics = None, {"fitted": False, "reports_dir": None}
    if reports_dir is not None:
        context, context_metrics = fit_context(X, passages, metrics["relevant"]["relevant"]["C"], reports_dir,
                                               encoder=encoder, cache=cache, features=features, lexicon=lexicon,
                                               head=heads["relevant"], progress=say)
    model_version = model_version or dt.date.today().strftime("%Y.%m.%d")
    manifest = {
        "name": name,
        "version": model_version,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "encoder": encoder_id(encoder),
        "features": features,
        "corpus": {"sha256": corpus_hash(passages), "passages": len(passages),
                   "located_in_reports": sum(p.labeller == "team:real-located" for p in passages),
                   "stats": _jsonable(corpus_stats(passages))},
        "cv": {"splitter": "GroupKFold(5) by source report", "C_grid": list(C_GRID), "random_state": random_state},
        "training": {"label_heads_on": "relevant passages only", "real_passage_weight": REAL_WEIGHT,
                     "lexicon": ({"heads": list(LEXICAL_HEADS), "terms": len(lexicon), "min_df": MIN_DF,
                                  "ngram_range": list(NGRAM_RANGE)} if lexicon is not None else None),
                     "neighbours": ({"heads": list(neighbours), "k": K_NEIGHBOURS, "temperature": TEMPERATURE,
                                     "passages": len(passages)} if neighbours else None)},
        "review_band": 0.1,
        "metrics_out_of_fold": metrics,
        "page_context": context_metrics,
        "libraries": {lib: version(lib) for lib in ("scikit-learn", "numpy", "sentence-transformers")},
    }
    folder = out_dir / name / model_version
    save_headset(heads, manifest, folder, model_card(manifest), context=context, lexicon=lexicon)
    return folder


def _jsonable(stats: dict) -> dict:
    return {k: ({kk: dict(vv) for kk, vv in v.items()} if k in ("themes", "steps", "bank_activity") else dict(v))
            for k, v in stats.items()}


def _neighbours_line(nb: dict) -> str:
    return (f"The {', '.join(nb['heads'])} head also stacks the vote of the {nb['k']} most similar training passages "
            f"(`pipeline/neighbours.py`, temperature {nb['temperature']}), its weight fitted with the calibration; "
            f"the {nb['passages']} training vectors are stored with the model as int8.")


def _lexicon_line(lexicon: dict) -> str:
    heads = lexicon["heads"]
    who = "Every head" if set(heads) == set(HEADS) else "The " + ", ".join(heads) + " heads"
    return (f"{who} also weighs a TF-IDF lexicon of {lexicon['terms']} words and word pairs from the training "
            "texts (stored as terms and idf arrays; see `pipeline.lexicon`).")


def model_card(manifest: dict) -> str:
    m = manifest["metrics_out_of_fold"]
    stats = manifest["corpus"]["stats"]
    lines = [
        f"# Model card: {manifest['name']} {manifest['version']}",
        "",
        "## What it is",
        "Five groups of linear heads (relevant, themes, steps, bank_activity, substantiated) on frozen "
        f"sentence embeddings from `{manifest['encoder']}`, with Platt-calibrated probabilities and per-label "
        "thresholds chosen by grouped cross-validation. Stored as plain arrays (`heads.npz`); no pickles.",
        *([_lexicon_line(manifest["training"]["lexicon"])] if (manifest.get("training") or {}).get("lexicon") else []),
        *([_neighbours_line(manifest["training"]["neighbours"])] if (manifest.get("training") or {}).get("neighbours") else []),
        "",
        "## Intended use",
        "Screening passages of company and bank annual, sustainability and human-rights reports (English and "
        "Dutch) for disclosure on IMVO covenant themes and the six OECD due-diligence steps, as input to a "
        "completeness scorecard that an analyst reviews. Every score must be checked against its quoted evidence; "
        "passages flagged `needs_review` sit close to a decision threshold.",
        "",
        "## Data",
        f"{manifest['corpus']['passages']} labelled passages (corpus sha256 `{manifest['corpus']['sha256'][:16]}…`): "
        f"{dict(stats['passages'])} by language, {dict(stats['relevant'])} relevant, {dict(stats['negatives'])} "
        "negatives. Sources: short attributed quotes from development reports"
        + (f" and {manifest['corpus']['located_in_reports']} passages labelled where they stand in those reports "
           "(the corpus holds their location, not their text)" if manifest["corpus"].get("located_in_reports") else "")
        + ", public labelled datasets "
        "(Walk Free/WikiRate, bizres) relabelled by the team, and passages written by the team in English and Dutch. "
        "Evaluation-only reports are never used.",
        "",
        "## Out-of-fold quality (grouped by report; thresholds tuned on the same folds, so slightly optimistic)",
        "",
        "| head | label | C | threshold | precision | recall | F1 | support | F1 en | F1 nl | ECE |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for head, labels in m.items():
        for label, e in labels.items():
            if label.startswith("_"):
                continue
            a = e["all"]
            lines.append(
                f"| {head} | {label} | {e['C']} | {e['threshold']} | {a['precision']} | {a['recall']} | {a['f1']} | "
                f"{a['support']} | {e.get('en', {}).get('f1', '-')} | {e.get('nl', {}).get('f1', '-')} | {e['ece']} |"
            )
    lines += ["", "Macro F1: " + "; ".join(f"{h} {m[h].get('_macro_f1', {})}" for h in ("themes", "steps", "bank_activity")), ""]
    pc = manifest.get("page_context") or {}
    if pc.get("fitted"):
        lo = pc["leave_one_report_out"]
        lines += ["## Page context (relevance, whole reports only)",
                  f"Fitted on {pc['passages']} labelled passages ({pc['relevant']} relevant) located in "
                  f"{len(pc['reports'])} development reports cut by the pipeline. Leaving one report out, relevance F1 "
                  f"{lo['own_score_only']['f1']} with the passage's own score, {lo['with_page_context']['f1']} with "
                  "the page's other passages too. `imvo classify` on free text uses the own score only.", ""]
    else:
        lines += ["## Page context", "Not fitted (no development reports were given to `imvo train --reports`).", ""]
    lines += [
              "## Limits",
              "- Figures above are cross-validated on the training corpus, a large part of which the team wrote; "
              "quality on unseen real reports is lower and is measured separately (`imvo evaluate`).",
              "- Remediation and tracking are the hardest steps in every published study; treat their cells with care.",
              "- Passages are classified one by one; a theme named only in a section heading is missed.",
              ""]
    return "\n".join(lines)
