"""Page context for the relevance decision: a passage on a page full of due-diligence text is more
likely about it than the same words on a page of financial results.

The relevance head scores each passage on its own (stage 1). When a whole report is classified,
a second, two-weight stage combines a passage's own score with the mean score of the other
passages on its page: `p = sigmoid(w_self * z + w_page * mean_page(z) + bias)`, with its own
F1-optimal threshold. Free text without a report (`imvo classify`) keeps stage 1.

Stage 2 is fitted on labelled passages cut from whole development reports, scored by stage-1
heads that never saw that report (leave one report out), so the weights learn what an unseen
report looks like. Measured that way on the development reports, and on the gold passages of the
evaluation-only reports: see the model card and `imvo evaluate`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def page_means(z: np.ndarray, pages: np.ndarray) -> np.ndarray:
    """For each row, the mean of the *other* rows on the same page; a passage alone on its page gets its own value."""
    z = np.asarray(z, dtype=np.float64)
    pages = np.asarray(pages)
    out = z.copy()
    order = np.argsort(pages, kind="stable")
    sorted_pages = pages[order]
    starts = np.flatnonzero(np.r_[True, sorted_pages[1:] != sorted_pages[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for s, e in zip(starts, ends):
        rows = order[s:e]
        if len(rows) > 1:
            total = z[rows].sum(axis=0)
            out[rows] = (total - z[rows]) / (len(rows) - 1)
    return out


@dataclass
class PageContext:
    """Stage 2 of the relevance head: weights on (own score, page mean of the others' scores)."""

    w_self: float
    w_page: float
    bias: float
    threshold: float

    def proba(self, z: np.ndarray, pages: np.ndarray) -> np.ndarray:
        zc = page_means(z, pages)
        return 1.0 / (1.0 + np.exp(-np.clip(self.w_self * z + self.w_page * zc + self.bias, -40, 40)))

    def as_array(self) -> np.ndarray:
        return np.array([self.w_self, self.w_page, self.bias, self.threshold], dtype=np.float64)

    @classmethod
    def from_array(cls, a: np.ndarray) -> PageContext:
        return cls(*(float(x) for x in a))


@dataclass
class ReportPassages:
    """A report cut by the pipeline: passage texts, pages and headings in reading order."""

    source: str
    texts: list[str]
    pages: np.ndarray
    headings: list[str | None]


def cut_reports(folder: Path, sources: set[str], progress: Callable[[str], None] | None = None) -> list[ReportPassages]:
    """Cut the named reports in `folder` (PDFs, or plain-text reports under `text/`) as `imvo screen` does.
    A report already cut in this process (same file, size and modification time) is not cut again."""
    say = progress or log.info
    out = []
    for source in sorted(sources):
        path = next((p for p in (folder / source, folder / "text" / source) if p.is_file()), None)
        if path is None:
            continue
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key not in _CUT:
            say(f"cutting {source}")
            _CUT[key] = _cut(path, source)
        out.append(_CUT[key])
    return out


_CUT: dict[tuple[str, int, int], ReportPassages] = {}


def _cut(path: Path, source: str) -> ReportPassages:
    from pipeline.extract import extract
    from pipeline.screen import new_document
    from pipeline.segment import plain_text_passages, segment

    if path.suffix == ".txt":
        items = plain_text_passages(path)
        return ReportPassages(source, [d["text"] for d in items], np.array([d["page"] for d in items]),
                              [d["heading"] for d in items])
    doc = new_document(path)
    segment(extract(doc, path=path))
    return ReportPassages(source, [p.text for p in doc.passages], np.array([p.page for p in doc.passages]),
                          [p.heading for p in doc.passages])


def locate(reports: list[ReportPassages], sources: list[str], texts: list[str]) -> list[tuple[int, int] | None]:
    """(report index, passage index) of each labelled passage in the cut reports, or None (texts are
    matched as verdicts find their passage again: `pipeline.corpus.text_key`)."""
    from pipeline.corpus import text_key

    index: dict[tuple[str, str], tuple[int, int]] = {}
    for r, rep in enumerate(reports):
        for i, t in enumerate(rep.texts):
            index.setdefault((rep.source, text_key(t)), (r, i))
    return [index.get((s, text_key(t))) for s, t in zip(sources, texts)]


def fit_page_context(z_self: np.ndarray, z_page: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[PageContext, dict]:
    """Fit the two weights; threshold and figures from leave-one-report-out predictions."""
    from sklearn.linear_model import LogisticRegression

    from pipeline.train import _best_threshold, prf

    F = np.column_stack([z_self, z_page])
    oof = np.zeros(len(y))
    oof_self = np.zeros(len(y))
    for g in np.unique(groups):
        te, tr = groups == g, groups != g
        if y[tr].min() == y[tr].max():
            continue
        oof[te] = LogisticRegression(C=1.0, max_iter=1000).fit(F[tr], y[tr]).predict_proba(F[te])[:, 1]
        oof_self[te] = LogisticRegression(C=1.0, max_iter=1000).fit(F[tr, :1], y[tr]).predict_proba(F[te, :1])[:, 1]
    t, _ = _best_threshold(oof, y)
    t_self, _ = _best_threshold(oof_self, y)
    lr = LogisticRegression(C=1.0, max_iter=1000).fit(F, y)
    stage = PageContext(float(lr.coef_[0, 0]), float(lr.coef_[0, 1]), float(lr.intercept_[0]), t)
    metrics = {"passages": int(len(y)), "relevant": int(y.sum()), "reports": sorted({str(g) for g in groups}),
               "leave_one_report_out": {"own_score_only": prf(oof_self >= t_self, y), "with_page_context": prf(oof >= t, y)}}
    return stage, metrics
