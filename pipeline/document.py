"""The one typed document that flows through extract -> segment -> embed -> classify -> score.

Each stage fills only its own fields. Coordinates are PDF points with the origin at the top-left of
the page (as in pdfplumber): `x0, top, x1, bottom`. Pages are 1-based. Character spans index into
`Page.text`, the page's cleaned text in reading order, so `page.text[start:end] == passage.text`.
"""

from __future__ import annotations

import hashlib
from enum import Enum
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class Status(str, Enum):
    ok = "ok"
    partial = "partial"
    failed = "failed"


class Stage(str, Enum):
    open = "open"
    extract = "extract"
    segment = "segment"
    embed = "embed"
    classify = "classify"
    score = "score"


class ErrorCategory(str, Enum):
    file_not_found = "file_not_found"
    not_a_pdf = "not_a_pdf"
    encrypted = "encrypted"
    corrupt = "corrupt"
    no_text_layer = "no_text_layer"
    no_text = "no_text"
    page_error = "page_error"
    table_error = "table_error"
    too_many_pages = "too_many_pages"
    timeout = "timeout"
    crashed = "crashed"
    memory_limit = "memory_limit"
    internal_error = "internal_error"


# Categories after which nothing can be screened: the document's status is `failed`.
FATAL = {ErrorCategory.file_not_found, ErrorCategory.not_a_pdf, ErrorCategory.encrypted,
         ErrorCategory.corrupt, ErrorCategory.no_text, ErrorCategory.timeout, ErrorCategory.crashed,
         ErrorCategory.memory_limit, ErrorCategory.internal_error}


class ErrorRecord(BaseModel):
    """An expected failure: what broke, where, and what the analyst can do about it."""

    stage: Stage
    category: ErrorCategory
    message: str
    page: int | None = None

    def one_line(self) -> str:
        where = f" (page {self.page})" if self.page else ""
        return f"{self.stage.value}/{self.category.value}{where}: {self.message}"


class BBox(BaseModel):
    model_config = ConfigDict(frozen=True)

    x0: float
    top: float
    x1: float
    bottom: float

    @staticmethod
    def union(boxes: list[BBox]) -> BBox:
        return BBox(
            x0=min(b.x0 for b in boxes), top=min(b.top for b in boxes),
            x1=max(b.x1 for b in boxes), bottom=max(b.bottom for b in boxes),
        )

    def rounded(self) -> BBox:
        return BBox(x0=round(self.x0, 1), top=round(self.top, 1), x1=round(self.x1, 1),
                    bottom=round(self.bottom, 1))


class Line(BaseModel):
    """One line of the page text in reading order, with its place on the page."""

    start: int
    end: int
    bbox: BBox
    block: int


class Block(BaseModel):
    """A paragraph, heading or table region: the unit passages never cross."""

    start: int
    end: int
    bbox: BBox
    kind: Literal["paragraph", "heading", "table"]
    column: int = Field(description="0-based column of the page layout the block sits in")
    font_size: float | None = None


class RemovedText(BaseModel):
    """Text left out of the page text on purpose (running headers, footers, page numbers)."""

    text: str
    bbox: BBox
    reason: Literal["header", "footer", "page_number"]


class Page(BaseModel):
    number: int = Field(ge=1)
    width: float
    height: float
    text: str = ""
    text_layer: bool = True
    lang: str | None = None
    lang_confidence: float | None = None
    blocks: list[Block] = Field(default_factory=list)
    lines: list[Line] = Field(default_factory=list)
    removed: list[RemovedText] = Field(default_factory=list)
    tables: int = 0


class Decisions(BaseModel):
    relevant: bool
    themes: list[str]
    steps: list[str]
    bank_activity: list[str]
    substantiated: bool


class Review(BaseModel):
    """An analyst's verdict on a passage, imported with `imvo review import`.

    `confirmed`: the model's labels were accepted; `corrected`: the reviewer replaced them (the
    passage's decisions are the reviewer's); `rejected`: the passage is not evidence of anything.
    """

    verdict: Literal["confirmed", "corrected", "rejected"]
    reviewer: str
    date: str = Field(description="ISO date of the verdict")


class PassageLabels(BaseModel):
    """Calibrated probabilities per head and label, and the decisions at the model's thresholds."""

    relevant: float
    themes: dict[str, float]
    steps: dict[str, float]
    bank_activity: dict[str, float]
    substantiated: float
    decisions: Decisions
    needs_review: bool = False
    review: Review | None = Field(
        default=None, description="an analyst's verdict on this passage, when one was imported"
    )


class Entity(BaseModel):
    """A named country, commodity, certification scheme, supplier or site; span indexes the page text."""

    label: Literal["COUNTRY", "COMMODITY", "SCHEME", "SUPPLIER", "SITE"]
    id: str = Field(description="ISO country code, commodity or scheme key, or a slug of the supplier/site name")
    text: str
    start: int
    end: int


class Passage(BaseModel):
    id: str
    page: int = Field(ge=1)
    start: int
    end: int
    bbox: BBox
    text: str
    kind: Literal["paragraph", "table"]
    column: int
    heading: str | None = None
    lang: str | None = None
    sentences: int = 1
    labels: PassageLabels | None = None
    entities: list[Entity] = Field(default_factory=list)


class Evidence(BaseModel):
    passage_id: str
    page: int
    quote: str
    bbox: BBox
    relevant: float
    theme: float | None = None
    step: float
    substantiated: float
    is_substantiated: bool
    needs_review: bool
    review: Review | None = Field(default=None, description="set when an analyst confirmed or corrected the passage")


class Cell(BaseModel):
    score: Literal[0, 1, 2]
    evidence: list[Evidence] = Field(default_factory=list)
    n_evidence: int = 0
    n_substantiated: int = 0


class StepScore(BaseModel):
    score: Literal[0, 1, 2]
    general_evidence: list[Evidence] = Field(
        default_factory=list,
        description="relevant passages for this step that name no scored theme; shown, not scored",
    )


class ThemeScore(BaseModel):
    score: Literal[0, 1, 2]


class Scorecard(BaseModel):
    covenant: str
    covenant_version: str
    themes_scored: list[str]
    steps_scored: list[str]
    cells: dict[str, dict[str, Cell]]
    steps: dict[str, StepScore]
    themes: dict[str, ThemeScore]
    completeness: float = Field(ge=0, le=100)
    activities: dict[str, dict[str, Cell]] | None = None
    thresholds: dict[str, dict[str, float]]


class FootprintRow(BaseModel):
    type: str
    id: str
    name: str
    mentions: int
    pages: list[int]
    themes: list[str] = Field(description="themes of the relevant passages that name it")
    steps: list[str] = Field(description="steps of the relevant passages that name it")


class FootprintGap(BaseModel):
    """A high-risk country/commodity pair the report names without due diligence on the risk."""

    country: str
    country_name: str
    commodity: str
    risks: list[str]
    missing: list[str]
    pages: list[int]
    message: str


class Footprint(BaseModel):
    entities: list[FootprintRow] = Field(default_factory=list)
    gaps: list[FootprintGap] = Field(default_factory=list)
    source: str = ""


class Metadata(BaseModel):
    company: str | None = None
    year: int | None = None
    covenant: str | None = None
    title: str | None = None


class Source(BaseModel):
    path: str
    filename: str
    sha256: str
    size_bytes: int
    page_count: int | None = None
    metadata: Metadata = Field(default_factory=Metadata)


class Versions(BaseModel):
    pipeline: str
    libraries: dict[str, str] = Field(default_factory=dict)
    encoder: str | None = None
    model: str | None = None
    taxonomy: str | None = None
    reviews: str | None = Field(
        default=None, description="hash of the analysts' verdicts on this PDF that were applied; None when there are none"
    )


class Document(BaseModel):
    """The whole screening result for one PDF."""

    doc_id: str
    source: Source
    pages: list[Page] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    scorecard: Scorecard | None = None
    footprint: Footprint | None = None
    errors: list[ErrorRecord] = Field(default_factory=list)
    status: Status = Status.ok
    versions: Versions

    # Passage embeddings, row i for passages[i]; set by `embed`, read by `classify`, never serialised.
    _embeddings: np.ndarray | None = PrivateAttr(default=None)
    _timings: dict[str, float] = PrivateAttr(default_factory=dict)  # seconds per stage of this run (not serialised)

    def add_error(self, stage: Stage, category: ErrorCategory, message: str, page: int | None = None) -> None:
        self.errors.append(ErrorRecord(stage=stage, category=category, message=message, page=page))
        self.status = self.derive_status()

    def derive_status(self) -> Status:
        if any(e.category in FATAL for e in self.errors):
            return Status.failed
        return Status.partial if self.errors else Status.ok

    @property
    def failed(self) -> bool:
        return self.status is Status.failed

    def page(self, number: int) -> Page:
        return self.pages[number - 1]


def passage_id(doc_id: str, page: int, start: int, end: int) -> str:
    """Deterministic id: the same span of the same PDF always gets the same id."""
    return hashlib.sha256(f"{doc_id}:{page}:{start}:{end}".encode()).hexdigest()[:16]


def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
