"""The labelled passage corpus: JSONL files in `corpora/labelled/`, validated on load.

A head may be unlabelled for a passage (`null`), e.g. a public dataset that says a passage is
about human rights but not which due-diligence step: training skips that passage for that head.
See `corpora/LABELLING.md` for the labelling rules.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import CorpusError
from pipeline.taxonomy import BANK_ACTIVITIES, DEFAULT_CORPORA, STEPS, THEMES

# Reports and datasets that are kept for evaluation only: nothing derived from them may train a model.
EVALUATION_ONLY = (
    "moncler_2023_",
    "volkswagen_2023_",
    "coca_cola_european_partners_2018_",
    "kramp_2017_",
    "ing_groep_2017_",
    "pggm_2017_",
    "aims_au_gold_test_sentences",
)


def _check_ids(values: list[str] | None, known: tuple[str, ...], field: str) -> list[str] | None:
    if values is None:
        return None
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"unknown {field} {unknown}; known: {list(known)}")
    if len(set(values)) != len(values):
        raise ValueError(f"{field} repeats a label: {values}")
    return values


class ReviewRecord(BaseModel):
    """Where a reviewed passage came from: the verdict an analyst gave in a review sheet."""

    model_config = ConfigDict(extra="forbid")

    review_id: str = Field(min_length=1, description="stable id of the passage in review sheets")
    verdict: Literal["accept", "reject", "correct"]
    doc_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the report PDF")
    passage_id: str = Field(min_length=1)
    comment: str | None = None


class _Labels(BaseModel):
    """The labels of one passage, whether the corpus holds its text or only where it is."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    lang: Literal["en", "nl"]
    relevant: bool | None
    themes: list[str] | None
    steps: list[str] | None
    bank_activity: list[str] | None
    substantiated: bool | None
    source: str = Field(min_length=1)
    labeller: str = Field(min_length=1)
    heading: str | None = None
    note: str | None = None

    @field_validator("themes")
    @classmethod
    def _themes(cls, v: list[str] | None) -> list[str] | None:
        return _check_ids(v, THEMES, "themes")

    @field_validator("steps")
    @classmethod
    def _steps(cls, v: list[str] | None) -> list[str] | None:
        return _check_ids(v, STEPS, "steps")

    @field_validator("bank_activity")
    @classmethod
    def _bank(cls, v: list[str] | None) -> list[str] | None:
        return _check_ids(v, BANK_ACTIVITIES, "bank_activity")

    @model_validator(mode="after")
    def _consistent(self) -> _Labels:
        if self.relevant is False:
            if self.themes or self.steps or self.bank_activity or self.substantiated:
                raise ValueError("a passage that is not relevant carries no themes, steps, bank activity or substantiation")
        return self


class LabelledPassage(_Labels):
    """One labelled passage of the training corpus."""

    text: str = Field(min_length=10)
    page: int | None = Field(default=None, ge=1)
    date: str | None = None
    review: ReviewRecord | None = None


class LocatedPassage(_Labels):
    """Labels of a passage that stays in its report: the corpus holds where it is (report, page and
    `text_key` of its text as `imvo screen` cuts it), never the text. This is how a page is labelled
    beyond the few short quotes the corpus may hold; `resolve_located` reads the text from the report."""

    key: str = Field(pattern=r"^[0-9a-f]{20}$", description="`text_key` of the passage text")
    page: int = Field(ge=1)


def is_evaluation_only(source: str) -> bool:
    return any(source.startswith(prefix) for prefix in EVALUATION_ONLY)


REVIEWS = "reviews"  # subfolder of labelled/ with analysts' verdicts (`imvo review import`)
LOCATED = "located"  # subfolder of labelled/ with labels of report passages held as locations (`LocatedPassage`)


def iter_corpus_files(root: Path | None = None, folder: str = "labelled", reviews: Path | None = None) -> list[Path]:
    """The corpus files of `folder`; for training also the review verdicts (`labelled/reviews/*.jsonl`
    or `reviews`), but never their `screening_only/` subfolder."""
    base = (Path(root) if root else DEFAULT_CORPORA) / folder
    files = sorted(base.glob("*.jsonl"))
    if folder == "labelled":
        files += sorted((Path(reviews) if reviews else base / REVIEWS).glob("*.jsonl"))
    return files


def read_jsonl(path: Path, *, evaluation: bool = False, model: type[_Labels] = LabelledPassage) -> list:
    """Read one corpus file; every problem is reported with file and line number.

    Training files (`evaluation=False`) may not hold passages from evaluation-only sources; the gold
    files in `corpora/evaluation/` hold nothing else.
    """
    passages, problems = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                passage = model.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as e:
                problems.append(f"{path}:{n}: {e}")
                continue
            if is_evaluation_only(passage.source) and not evaluation:
                problems.append(f"{path}:{n}: source {passage.source!r} is evaluation-only and must not be used for training")
            elif evaluation and not is_evaluation_only(passage.source):
                problems.append(f"{path}:{n}: source {passage.source!r} is not an evaluation-only report; "
                                "gold passages must come from reports no model trains on")
            else:
                passages.append(passage)
    if problems:
        raise CorpusError("Malformed corpus lines:\n" + "\n".join(problems[:50]))
    return passages


def load_corpus(root: Path | None = None, files: list[Path] | None = None, *,
                evaluation: bool = False, reviews: Path | None = None, reports: Path | None = None) -> list[LabelledPassage]:
    """Load every training file with the analysts' verdicts (or, with `evaluation`, every gold file);
    ids must be unique. A verdict supersedes other labels of the same text from the same report.

    With `reports` (the folder of the reports), the located passages of `labelled/located/` (or, with
    `evaluation`, `evaluation/located/`) are added, their text read from the reports; without it
    they are left out."""
    passages: list[LabelledPassage] = []
    folder = "evaluation" if evaluation else "labelled"
    for path in files if files is not None else iter_corpus_files(root, folder, reviews):
        passages.extend(read_jsonl(path, evaluation=evaluation))
    if reports is not None and files is None:
        passages.extend(resolve_located(load_located(root, evaluation=evaluation), reports))
    dupes = [i for i, c in Counter(p.id for p in passages).items() if c > 1]
    if dupes:
        raise CorpusError(f"Duplicate passage ids in the corpus: {dupes[:20]}")
    return _drop_superseded(passages)


def load_located(root: Path | None = None, *, evaluation: bool = False) -> list[LocatedPassage]:
    """The located passages (labels and locations, no text) of `labelled/located/*.jsonl`, or with
    `evaluation` of `evaluation/located/*.jsonl` (gold)."""
    located: list[LocatedPassage] = []
    for path in iter_corpus_files(root, f"{'evaluation' if evaluation else 'labelled'}/{LOCATED}"):
        located.extend(read_jsonl(path, evaluation=evaluation, model=LocatedPassage))
    return located


def resolve_located(located: list[LocatedPassage], reports: Path,
                    progress: Callable[[str], None] | None = None) -> list[LabelledPassage]:
    """Read each located passage's text from its report, cut as `imvo screen` cuts it.

    A location that no longer matches (a missing report, or a segmenter that now cuts the page
    differently) is an error naming every such passage, never a silently smaller corpus."""
    from pipeline.context import cut_reports

    cut = {r.source: r for r in cut_reports(reports, {p.source for p in located}, progress=progress)}
    found, problems = [], []
    for p in located:
        rep = cut.get(p.source)
        if rep is None:
            problems.append(f"{p.id}: report {p.source!r} not in {reports}")
            continue
        hits = [i for i in np.flatnonzero(rep.pages == p.page) if text_key(rep.texts[i]) == p.key]
        if not hits:
            problems.append(f"{p.id}: no passage with key {p.key} on page {p.page} of {p.source}")
            continue
        fields = p.model_dump(exclude={"key"})
        fields["heading"] = fields["heading"] or rep.headings[hits[0]]
        found.append(LabelledPassage(text=rep.texts[hits[0]], **fields))
    if problems:
        raise CorpusError(f"{len(problems)} of {len(located)} located passages not found in their reports:\n"
                          + "\n".join(problems[:50]))
    return found


AGREEMENT = "evaluation/agreement"  # a second annotator's blind labels of gold passages


def agreement_samples(root: Path | None = None, reports: Path | None = None) -> list[tuple[list, list]]:
    """(gold set, second annotator's labels) per sample in `evaluation/agreement/`.

    `agreement/*.jsonl` were drawn from the gold files of `evaluation/` (with text);
    `agreement/located/<name>.jsonl` from the located gold file of the same name in
    `evaluation/located/`, and are read only with `reports`, like the gold they were drawn from."""
    base = Path(root) if root else DEFAULT_CORPORA
    samples = []
    second = load_corpus(base, files=iter_corpus_files(base, AGREEMENT), evaluation=True)
    if second:
        samples.append((load_corpus(base, files=iter_corpus_files(base, "evaluation"), evaluation=True), second))
    if reports is not None:
        for path in iter_corpus_files(base, f"{AGREEMENT}/{LOCATED}"):
            gold_path = base / "evaluation" / LOCATED / path.name
            if not gold_path.is_file():
                raise CorpusError(f"{path}: no gold file {gold_path} it was drawn from")
            gold = resolve_located(read_jsonl(gold_path, evaluation=True, model=LocatedPassage), reports)
            samples.append((gold, resolve_located(read_jsonl(path, evaluation=True, model=LocatedPassage), reports)))
    return samples


def text_key(text: str) -> str:
    """Hash of a passage text, robust to whitespace and case: how verdicts find their passage again."""
    return hashlib.sha256(" ".join(text.split()).lower().encode("utf-8")).hexdigest()[:20]


def _drop_superseded(passages: list[LabelledPassage]) -> list[LabelledPassage]:
    reviewed = {(p.source, text_key(p.text)) for p in passages if p.review is not None}
    if not reviewed:
        return passages
    return [p for p in passages if p.review is not None or (p.source, text_key(p.text)) not in reviewed]


# field order of the hashed lines: the order `LabelledPassage` had when the hash was introduced
_HASH_FIELDS = ("id", "text", "lang", "relevant", "themes", "steps", "bank_activity", "substantiated", "source",
                "page", "labeller", "heading", "date", "note", "review")


def corpus_hash(passages: list[LabelledPassage]) -> str:
    """Content hash of a corpus, independent of file layout and line order."""
    digest = hashlib.sha256()
    lines = []
    for p in passages:
        d = p.model_dump(mode="json")
        if p.review is None:  # left out when empty, so the hash did not change when verdicts were added
            d.pop("review")
        lines.append(json.dumps({k: d[k] for k in _HASH_FIELDS if k in d}, ensure_ascii=False, separators=(",", ":")))
    for line in sorted(lines):
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def corpus_stats(passages: list[LabelledPassage]) -> dict:
    """Positives per label and language, for the model card and for checking coverage."""
    stats: dict = {"passages": Counter(), "relevant": Counter(), "negatives": Counter(),
                   "substantiated": Counter(), "themes": {}, "steps": {}, "bank_activity": {}}
    for p in passages:
        stats["passages"][p.lang] += 1
        if p.relevant:
            stats["relevant"][p.lang] += 1
        if p.relevant is False:
            stats["negatives"][p.lang] += 1
        if p.substantiated:
            stats["substantiated"][p.lang] += 1
        for field in ("themes", "steps", "bank_activity"):
            for label in getattr(p, field) or []:
                stats[field].setdefault(label, Counter())[p.lang] += 1
    return stats


def main(argv: list[str]) -> int:
    """`python -m pipeline.corpus validate [FILE ...]`: check files and print label counts."""
    if not argv or argv[0] != "validate":
        print("usage: python -m pipeline.corpus validate [FILE ...]", file=sys.stderr)
        return 2
    files = [Path(a) for a in argv[1:]] or None
    evaluation = bool(files) and all("evaluation" in f.parent.parts for f in files)  # gold and its translations
    try:
        passages = load_corpus(files=files, evaluation=evaluation)
    except CorpusError as e:
        print(e, file=sys.stderr)
        return 1
    stats = corpus_stats(passages)
    print(f"{len(passages)} passages OK")
    for key in ("passages", "relevant", "negatives", "substantiated"):
        print(f"  {key:14s} {dict(stats[key])}")
    for field in ("themes", "steps", "bank_activity"):
        for label, counts in sorted(stats[field].items()):
            print(f"  {field}:{label:24s} {dict(counts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
