"""Analysts' verdicts at screening time: a passage an analyst reviewed gets the analyst's labels.

`imvo review import` stores verdicts as labelled passages in `corpora/labelled/reviews/` (training reads
them) and in its `screening_only/` subfolder (verdicts on evaluation-only reports, or in languages the
corpus does not train on: never training data). Both are authoritative when a report is screened
again: a passage of the same PDF (sha256) with the same text (whitespace and case aside, so changed
passage ids do not matter) gets the reviewer's labels with probabilities 1 or 0, is no longer flagged
for review, and carries the verdict, which the scorecard's evidence shows. A rejected passage stops
being evidence. The hash of a report's verdicts is part of its screening key, so stored results and
batch caches are recomputed when the verdicts change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError

from pipeline.corpus import LabelledPassage, read_jsonl, text_key
from pipeline.document import Decisions, Document, PassageLabels, Review
from pipeline.errors import CorpusError

SCREENING_ONLY = "screening_only"
VERDICT_REVIEW = {"accept": "confirmed", "reject": "rejected", "correct": "corrected"}


class ScreeningOnlyPassage(LabelledPassage):
    """A verdict kept for screening only: any language, any length, evaluation-only reports allowed."""

    lang: str = Field(min_length=1)
    text: str = Field(min_length=1)


@dataclass(frozen=True)
class Verdict:
    """The labels an analyst gave one passage of one report."""

    doc_sha256: str
    text_key: str
    review_id: str
    review: Review
    decisions: Decisions


def _verdict(p: LabelledPassage) -> Verdict:
    r = p.review
    reviewer = p.labeller.removeprefix("review:")
    return Verdict(
        doc_sha256=r.doc_sha256, text_key=text_key(p.text), review_id=r.review_id,
        review=Review(verdict=VERDICT_REVIEW[r.verdict], reviewer=reviewer, date=p.date or ""),
        decisions=Decisions(relevant=bool(p.relevant), themes=list(p.themes or []), steps=list(p.steps or []),
                            bank_activity=list(p.bank_activity or []), substantiated=bool(p.substantiated)),
    )


class Verdicts:
    """Every imported verdict, by report sha256 and passage text; the newest verdict on a text wins."""

    def __init__(self, passages: Iterable[LabelledPassage] = ()):
        self._by_doc: dict[str, dict[str, Verdict]] = {}
        for p in sorted(passages, key=lambda p: (p.date or "", p.review.review_id)):
            v = _verdict(p)
            self._by_doc.setdefault(v.doc_sha256, {})[v.text_key] = v

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_doc.values())

    def for_document(self, doc_sha256: str) -> dict[str, Verdict]:
        return self._by_doc.get(doc_sha256, {})

    def digest(self, doc_sha256: str) -> str | None:
        """Hash of the verdicts on one report, None when it has none: part of the screening key."""
        mine = self.for_document(doc_sha256)
        if not mine:
            return None
        payload = json.dumps([[k, v.review.model_dump(), v.decisions.model_dump()] for k, v in sorted(mine.items())])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def verdict_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(training verdict files, screening-only verdict files) under `folder`."""
    folder = Path(folder)
    return sorted(folder.glob("*.jsonl")), sorted((folder / SCREENING_ONLY).glob("*.jsonl"))


def read_screening_only(path: Path) -> list[ScreeningOnlyPassage]:
    out, problems = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(ScreeningOnlyPassage.model_validate(json.loads(line)))
                except (json.JSONDecodeError, ValidationError) as e:
                    problems.append(f"{path}:{n}: {e}")
    if problems:
        raise CorpusError("Malformed review verdict lines:\n" + "\n".join(problems[:50]))
    return out


def verdicts_signature(folder: Path) -> tuple:
    """Names, sizes and modification times of the verdict files: changes when verdicts are imported."""
    training, screening_only = verdict_files(folder)
    return tuple((str(p), (st := p.stat()).st_mtime_ns, st.st_size) for p in training + screening_only)


def load_verdicts(folder: Path) -> Verdicts:
    """Every verdict under `folder` (an absent folder holds none); a line without a verdict is an error."""
    training, screening_only = verdict_files(folder)
    passages: list[LabelledPassage] = []
    for path in training:
        passages.extend(read_jsonl(path))
    for path in screening_only:
        passages.extend(read_screening_only(path))
    missing = [p.id for p in passages if p.review is None]
    if missing:
        raise CorpusError(f"{folder}: passages without a review verdict in the reviews folder: {missing[:10]}; "
                          "labelled passages written by hand belong in corpora/labelled/")
    return Verdicts(passages)


def _one_hot(probabilities: dict[str, float], chosen: list[str]) -> dict[str, float]:
    return {label: 1.0 if label in chosen else 0.0 for label in [*probabilities, *[c for c in chosen if c not in probabilities]]}


def reviewed_labels(labels: PassageLabels, verdict: Verdict) -> PassageLabels:
    """The passage's labels as the analyst gave them: probabilities 1 or 0, no review flag."""
    d = verdict.decisions
    return PassageLabels(
        relevant=float(d.relevant), themes=_one_hot(labels.themes, d.themes), steps=_one_hot(labels.steps, d.steps),
        bank_activity=_one_hot(labels.bank_activity, d.bank_activity), substantiated=float(d.substantiated),
        decisions=d.model_copy(), needs_review=False, review=verdict.review,
    )


def apply_verdicts(doc: Document, *, verdicts: Verdicts) -> Document:
    """Give reviewed passages their analyst's labels; record the verdicts' hash in `doc.versions.reviews`."""
    doc.versions.reviews = verdicts.digest(doc.doc_id)
    mine = verdicts.for_document(doc.doc_id)
    if doc.failed or not mine:
        return doc
    for passage in doc.passages:
        verdict = mine.get(text_key(passage.text))
        if verdict is not None and passage.labels is not None:
            passage.labels = reviewed_labels(passage.labels, verdict)
    return doc
