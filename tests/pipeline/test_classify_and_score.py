"""Decisions from probabilities, and the rubric from decisions: built by hand, no model involved."""

import numpy as np
import pytest

from pipeline.classify import label_rows
from pipeline.document import BBox, Document, Passage, Source, Versions
from pipeline.heads import HeadSet, LinearHead
from pipeline.score import score
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES, load_taxonomy


def headset(threshold=0.5):
    def head(labels):
        n = len(labels)
        return LinearHead(labels=list(labels), W=np.zeros((n, 1)), b=np.zeros(n), A=np.ones(n), B=np.zeros(n),
                          thresholds=np.full(n, threshold))
    heads = {"relevant": head(["relevant"]), "themes": head(THEMES), "steps": head(STEPS),
             "bank_activity": head(BANK_ACTIVITIES), "substantiated": head(["substantiated"])}
    return HeadSet(heads=heads, manifest={"name": "hand", "version": "1", "encoder": "none"}, review_band=0.1)


def probs(relevant, themes=(), steps=(), banks=(), substantiated=0.0, default=0.05):
    def row(labels, on):
        return [[on.get(label, default) for label in labels]]
    return {
        "relevant": np.array([[relevant]]),
        "themes": np.array(row(THEMES, dict(themes))),
        "steps": np.array(row(STEPS, dict(steps))),
        "bank_activity": np.array(row(BANK_ACTIVITIES, dict(banks))),
        "substantiated": np.array([[substantiated]]),
    }


def test_decisions_are_gated_by_relevance():
    [lab] = label_rows(probs(0.2, themes={"child_labour": 0.9}, steps={"track": 0.9}, substantiated=0.9), headset())
    assert lab.decisions.model_dump() == {"relevant": False, "themes": [], "steps": [], "bank_activity": [],
                                          "substantiated": False}
    assert lab.themes["child_labour"] == 0.9  # probabilities are kept


def test_probabilities_near_a_threshold_need_review():
    [sure] = label_rows(probs(0.95, themes={"child_labour": 0.9}, steps={"track": 0.9}, substantiated=0.95), headset())
    [unsure] = label_rows(probs(0.95, themes={"child_labour": 0.55}, steps={"track": 0.9}, substantiated=0.95), headset())
    assert sure.decisions.themes == ["child_labour"] and not sure.needs_review
    assert unsure.decisions.themes == ["child_labour"] and unsure.needs_review


def make_doc(rows):
    doc = Document(doc_id="d" * 64, source=Source(path="x.pdf", filename="x.pdf", sha256="d" * 64, size_bytes=1),
                   versions=Versions(pipeline="test"))
    for i, (text, p) in enumerate(rows):
        passage = Passage(id=f"p{i}", page=i + 1, start=0, end=len(text), text=text, kind="paragraph", column=0,
                          bbox=BBox(x0=0, top=0, x1=10, bottom=10))
        [passage.labels] = label_rows(p, headset())
        doc.passages.append(passage)
    return doc


@pytest.fixture(scope="module")
def textile():
    tax = load_taxonomy()
    return tax, tax.covenant("textile")


def test_cells_are_two_when_substantiated_one_when_mentioned_zero_otherwise(textile):
    tax, cov = textile
    doc = make_doc([
        ("We audited 112 factories for child labour.", probs(0.9, {"child_labour": 0.9}, {"track": 0.9}, substantiated=0.9)),
        ("We prohibit child labour.", probs(0.9, {"child_labour": 0.9}, {"embed_policy": 0.9}, substantiated=0.1)),
        ("Revenue grew.", probs(0.1)),
        ("We run a grievance mechanism.", probs(0.9, {}, {"remediate": 0.9}, substantiated=0.1)),
    ])
    score(doc, covenant=cov, heads=headset(), taxonomy_version=tax.version)
    sc = doc.scorecard
    assert sc.cells["child_labour"]["track"].score == 2
    assert sc.cells["child_labour"]["embed_policy"].score == 1
    assert sc.cells["child_labour"]["remediate"].score == 0
    assert sc.cells["forced_labour"]["track"].score == 0
    ev = sc.cells["child_labour"]["track"].evidence[0]
    assert (ev.passage_id, ev.page, ev.quote) == ("p0", 1, "We audited 112 factories for child labour.")
    assert sc.steps["track"].score == 2 and sc.themes["child_labour"].score == 2 and sc.themes["living_wage"].score == 0
    # a step named without any theme is shown, not scored
    assert sc.steps["remediate"].score == 0 and sc.steps["remediate"].general_evidence[0].passage_id == "p3"
    assert sc.completeness == pytest.approx(100 * (2 + 1) / 2 / (9 * 6), abs=0.05)
    assert doc.versions.taxonomy == tax.version


def test_evidence_is_capped_and_counted(textile):
    tax, cov = textile
    rows = [(f"Living wage passage {i}.", probs(0.9, {"living_wage": 0.9}, {"identify_assess": 0.9})) for i in range(8)]
    doc = score(make_doc(rows), covenant=cov, heads=headset(), taxonomy_version=tax.version)
    cell = doc.scorecard.cells["living_wage"]["identify_assess"]
    assert cell.n_evidence == 8 and len(cell.evidence) == cov.rubric.evidence_per_cell


def test_banking_rubric_adds_bank_activities():
    tax = load_taxonomy()
    doc = make_doc([("We screen project finance clients for land rights.",
                     probs(0.9, {"land_communities": 0.9}, {"identify_assess": 0.9}, {"project_finance": 0.9}))])
    score(doc, covenant=tax.covenant("banking"), heads=headset(), taxonomy_version=tax.version)
    assert doc.scorecard.activities["project_finance"]["identify_assess"].score == 1
    assert doc.scorecard.activities["corporate_lending"]["identify_assess"].score == 0
    assert "animal_welfare" not in doc.scorecard.cells
