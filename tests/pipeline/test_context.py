"""Page context of the relevance decision: page means, the two-weight stage, storage, and use in classify."""

import numpy as np
import pytest

from pipeline.classify import label_rows
from pipeline.context import PageContext, ReportPassages, fit_page_context, locate, page_means
from pipeline.heads import LinearHead, load_headset, save_headset
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES


def test_page_means_average_the_other_passages_of_the_page():
    z = np.array([1.0, 3.0, 5.0, 7.0, -2.0])
    pages = np.array([1, 1, 1, 2, 3])
    # page 1: each passage sees the mean of the two others; page 2 and 3 passages are alone
    assert page_means(z, pages).tolist() == [4.0, 3.0, 2.0, 7.0, -2.0]
    assert page_means(np.array([[1.0, 0.0], [3.0, 2.0]]), np.array([4, 4])).tolist() == [[3.0, 2.0], [1.0, 0.0]]


def test_stage_learns_that_a_page_of_relevant_text_lifts_a_borderline_passage():
    rng = np.random.default_rng(0)
    rows, groups = [], []
    for report in range(4):
        for page in range(60):
            topical = page % 3 == 0  # a due-diligence page: most of its passages are relevant
            for _ in range(5):
                y = rng.random() < (0.8 if topical else 0.05)
                rows.append((rng.normal(1.0 if y else -1.0, 1.2), y, (report, page)))
                groups.append(f"r{report}")
    z = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows], dtype=int)
    pages = np.array([r[2][0] * 1000 + r[2][1] for r in rows])
    stage, metrics = fit_page_context(z, page_means(z, pages), y, np.array(groups))
    assert stage.w_page > 0.3 and stage.w_self > 0
    lo = metrics["leave_one_report_out"]
    assert lo["with_page_context"]["f1"] > lo["own_score_only"]["f1"] + 0.03
    # the same borderline passage scores higher on a topical page than on a page of financial results
    assert stage.proba(np.array([0.0, 3.0, 3.0]), np.array([1, 1, 1]))[0] > \
        stage.proba(np.array([0.0, -3.0, -3.0]), np.array([1, 1, 1]))[0]


def _headset_with_context(tmp_path):
    dim = 3

    def head(labels, w=None):
        n = len(labels)
        W = np.zeros((n, dim)) if w is None else np.array(w, dtype=float)
        return LinearHead(labels=list(labels), W=W, b=np.zeros(n), A=np.ones(n), B=np.zeros(n),
                          thresholds=np.full(n, 0.5))
    heads = {"relevant": head(["relevant"], [[1.0, 0.0, 0.0]]), "themes": head(THEMES), "steps": head(STEPS),
             "bank_activity": head(BANK_ACTIVITIES), "substantiated": head(["substantiated"])}
    context = PageContext(w_self=1.0, w_page=2.0, bias=0.0, threshold=0.6)
    folder = save_headset(heads, {"name": "ctx", "version": "1", "encoder": "none"}, tmp_path / "m", "card",
                          context=context)
    return load_headset(folder)


def test_context_is_stored_as_arrays_and_used_only_for_whole_reports(tmp_path):
    hs = _headset_with_context(tmp_path)
    assert hs.context == PageContext(1.0, 2.0, 0.0, 0.6)
    X = np.array([[0.2, 0, 0], [2.0, 0, 0], [2.0, 0, 0], [0.2, 0, 0], [-3.0, 0, 0]])
    texts = ["t"] * 5
    alone = hs.predict_proba(X, texts)["relevant"][:, 0]
    in_report = hs.predict_proba(X, texts, pages=[1, 1, 1, 2, 2])["relevant"][:, 0]
    assert alone[0] == pytest.approx(alone[3])  # free text: the passage's own score only
    assert in_report[0] > alone[0] > in_report[3]  # a relevant page lifts it, a page of other text lowers it
    # decisions use the stage's own threshold when the context was used
    rows = label_rows(hs.predict_proba(X, texts, pages=[1, 1, 1, 2, 2]), hs, context=True)
    assert [r.decisions.relevant for r in rows] == [bool(p >= 0.6) for p in in_report]


def test_classify_uses_page_context_for_a_document(tmp_path):
    from pipeline.classify import classify, classify_texts

    from pipeline.document import BBox, Document, Passage, Source, Versions

    hs = _headset_with_context(tmp_path)
    doc = Document(doc_id="d" * 64, source=Source(path="x.pdf", filename="x.pdf", sha256="d" * 64, size_bytes=1),
                   versions=Versions(pipeline="test"))
    doc.passages = [Passage(id=f"p{i}", page=pg, start=0, end=1, text=t, kind="paragraph", column=0,
                            bbox=BBox(x0=0, top=0, x1=1, bottom=1))
                    for i, (pg, t) in enumerate([(1, "a"), (1, "b"), (2, "c")])]
    doc._embeddings = np.array([[0.3, 0, 0], [3.0, 0, 0], [0.3, 0, 0]])
    classify(doc, heads=hs)
    free = classify_texts(["a"], heads=hs, encoder=_Fixed(np.array([[0.3, 0, 0]])))
    # same own score; the first shares its page with a clearly relevant passage
    assert doc.passages[0].labels.relevant > doc.passages[2].labels.relevant
    assert free[0].relevant == pytest.approx(1 / (1 + np.exp(-0.3)), abs=1e-4)  # free text: own score only


class _Fixed:
    """An encoder that returns given vectors (for `classify_texts`)."""

    def __init__(self, vectors):
        self.vectors = vectors
        self._imvo_encoder_id = "fixed@1"

    def encode(self, texts, **kw):
        return self.vectors[: len(texts)]


def test_labelled_passages_are_found_in_their_cut_report():
    reports = [ReportPassages("a.pdf", ["First passage.", "Second  passage here."], np.array([1, 2]), [None, None])]
    assert locate(reports, ["a.pdf", "a.pdf", "b.pdf"], ["second passage HERE.", "missing", "First passage."]) == \
        [(0, 1), None, None]
