"""Page geometry: from positioned line segments to blocks in reading order.

Pure Python over plain data (no PDF library here), so every rule is testable with hand-built
segments. Coordinates are PDF points, origin top-left. The extract stage feeds it `Segment`s: runs of
characters on one baseline without a column-sized gap.

Reading order is a recursive XY-cut: split a region at vertical gutters first; where none spans the
region, split it into horizontal bands and merge consecutive bands that share a gutter, so two
columns whose paragraph breaks happen to line up are still read column by column.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from statistics import median

_NUMERIC = re.compile(r"^[\s\d.,%()€$£+\-–—/:x×]+$")
_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|pagina|blz\.?|p\.)\s*)?\d{1,4}(?:\s*(?:of|/|van|\|)\s*\d{1,4})?$", re.IGNORECASE
)
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


@dataclass(slots=True)
class Segment:
    """A run of text on one line of a page, without a column-sized gap inside."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float = 10.0
    bold: bool = False
    hyphen_end: bool = False
    table: int = -1  # index of the table region the segment belongs to, -1 for running text

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(slots=True)
class TableRegion:
    """A table found on the page; rows are already rendered as readable text."""

    x0: float
    top: float
    x1: float
    bottom: float
    rows: list[Segment] = field(default_factory=list)


@dataclass(slots=True)
class BlockDraft:
    kind: str  # "paragraph" | "heading" | "table"
    lines: list[Segment]
    column: int
    size: float

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (min(s.x0 for s in self.lines), min(s.top for s in self.lines),
                max(s.x1 for s in self.lines), max(s.bottom for s in self.lines))


# ----------------------------------------------------------------------------------------------
# Running headers, footers and page numbers


def margin_key(text: str) -> str:
    """Normalise a margin line so that 'Annual Report 2018 | 23' matches across pages."""
    return _SPACES.sub(" ", _DIGITS.sub("#", text.strip().lower()))


def find_running_text(
    pages: list[list[Segment]], heights: list[float], band: float = 0.12
) -> dict[tuple[int, int], str]:
    """Segments to drop as running header/footer or page number: {(page index, segment index): reason}.

    A segment counts when it lies in the top or bottom `band` of its page and either looks like a
    page number, or its normalised text recurs in the same band on enough other pages.
    """
    n_pages = len(pages)
    min_repeats = 2 if n_pages <= 4 else 3
    # Running text sits at a fixed height: the key includes the position, in 4-point steps.
    where: dict[tuple[str, str], set[int]] = {}
    candidates: list[tuple[int, int, str, str]] = []
    for p, (segments, height) in enumerate(zip(pages, heights)):
        for i, s in enumerate(segments):
            if s.bottom <= band * height:
                zone = "header"
            elif s.top >= (1 - band) * height:
                zone = "footer"
            else:
                continue
            key = margin_key(s.text)
            if not any(c.isalpha() for c in key):
                key = s.text.strip()  # bare figures only repeat when they are the same figure
            key = f"{key}@{round(s.top / 4)}"
            candidates.append((p, i, zone, key))
            where.setdefault((zone, key), set()).add(p)
    drop: dict[tuple[int, int], str] = {}
    for p, i, zone, key in candidates:
        if not key:
            continue
        if _PAGE_NUMBER.match(pages[p][i].text.strip()):
            drop[(p, i)] = "page_number"
        elif n_pages > 1 and len(where[(zone, key)]) >= min_repeats:
            drop[(p, i)] = zone
    return drop


# ----------------------------------------------------------------------------------------------
# Tables drawn as aligned text (no ruling lines)


def _rows(segments: list[Segment]) -> list[list[Segment]]:
    """Group segments whose vertical extents overlap by at least half into rows, top to bottom."""
    rows: list[list[Segment]] = []
    for s in sorted(segments, key=lambda s: (s.cy, s.x0)):
        if rows:
            last = rows[-1]
            top, bottom = min(x.top for x in last), max(x.bottom for x in last)
            overlap = min(bottom, s.bottom) - max(top, s.top)
            if overlap >= 0.5 * min(s.height, bottom - top):
                last.append(s)
                continue
        rows.append([s])
    for row in rows:
        row.sort(key=lambda s: s.x0)
    return rows


_PROSE_WORDS = 6


def _prose(s: Segment) -> bool:
    """A line of running text (many words, mostly alphabetic): never a table cell."""
    words = [w.strip(".,;:()'’\"") for w in s.text.split()]
    return len(words) >= _PROSE_WORDS and sum(w.isalpha() for w in words) >= 0.6 * len(words)


def _tabular(row: list[Segment]) -> bool:
    """Three or more cells, with a figure among them or all of them one- or two-word labels.

    Lines of narrow text columns side by side ('towards modern slavery | it has a responsibility')
    have several words per cell and no figures, so they do not qualify.
    """
    if len(row) < 3:
        return False
    if any(_NUMERIC.match(s.text) for s in row):
        return True
    words = sorted(len(s.text.split()) for s in row)
    return words[len(words) // 2] <= 2 and words[-1] <= 4


def find_text_tables(segments: list[Segment], min_rows: int = 3) -> list[TableRegion]:
    """Regions of at least `min_rows` consecutive rows with three or more cells, numeric or short.

    Body text in two columns gives rows of two long segments and never qualifies; a financial
    table gives rows of a label and several figures.
    """
    tables: list[TableRegion] = []
    run: list[list[Segment]] = []

    def close() -> None:
        if len(run) >= min_rows:
            cells = [s for row in run for s in row]
            region = TableRegion(
                x0=min(s.x0 for s in cells), top=min(s.top for s in cells),
                x1=max(s.x1 for s in cells), bottom=max(s.bottom for s in cells),
            )
            region.rows = [join_row(row) for row in run]
            tables.append(region)
        run.clear()

    for row in _rows([s for s in segments if not _prose(s)]):
        if _tabular(row):
            if run:
                gap = min(s.top for s in row) - max(s.bottom for s in run[-1])
                if gap > 2.5 * max(s.height for s in row):
                    close()
            run.append(row)
        else:
            close()
    close()
    return tables


def join_row(cells: list[Segment]) -> Segment:
    """One table row as one readable line: 'Bangladesh | 112 | 96%'."""
    text = " | ".join(c.text.strip() for c in cells if c.text.strip())
    return Segment(
        text=text, x0=min(c.x0 for c in cells), top=min(c.top for c in cells),
        x1=max(c.x1 for c in cells), bottom=max(c.bottom for c in cells),
        size=median(c.size for c in cells),
    )


def assign_tables(segments: list[Segment], tables: list[TableRegion], slack: float = 1.0) -> None:
    """Mark segments that fall inside a table region, so they leave the running text."""
    for s in segments:
        for t, region in enumerate(tables):
            if (s.x0 >= region.x0 - slack and s.x1 <= region.x1 + slack
                    and s.top >= region.top - slack and s.bottom <= region.bottom + slack):
                s.table = t
                break


# ----------------------------------------------------------------------------------------------
# Reading order


def _gaps(intervals: list[tuple[float, float]], min_gap: float) -> list[tuple[float, float]]:
    """Uncovered stretches of at least `min_gap` between the union of `intervals`."""
    gaps = []
    intervals = sorted(intervals)
    reach = intervals[0][1]
    for a, b in intervals[1:]:
        if a - reach >= min_gap:
            gaps.append((reach, a))
        reach = max(reach, b)
    return gaps


def _split_x(items: list[Segment], gaps: list[tuple[float, float]]) -> list[list[Segment]]:
    parts: list[list[Segment]] = [[] for _ in range(len(gaps) + 1)]
    for s in items:
        k = sum(1 for g in gaps if s.x0 >= g[1] - 1e-6)
        parts[k].append(s)
    return [p for p in parts if p]


def _bands(items: list[Segment], min_gap: float) -> list[list[Segment]]:
    ordered = sorted(items, key=lambda s: (s.top, s.x0))
    bands: list[list[Segment]] = [[ordered[0]]]
    reach = ordered[0].bottom
    for s in ordered[1:]:
        if s.top - reach >= min_gap:
            bands.append([s])
        else:
            bands[-1].append(s)
        reach = max(reach, s.bottom)
    return bands


_MARKER = re.compile(r"^(?:[•▪◦‣\-–*❖➢✓]|\*\)|\*{1,3}|\(?[0-9a-zA-Z]{1,2}[.)]|(?:\d{1,2}\.){1,3}\d{0,2})$")


def _is_marker(s: Segment) -> bool:
    """Bullets, list numbers and hanging section numbers ('•', 'a)', '4.1.9') left of their text."""
    return s.table < 0 and bool(_MARKER.match(s.text.strip()))


def column_gaps(region: list[Segment], gutter: float) -> list[tuple[float, float]]:
    """Vertical gutters of a region, ignoring the gap between a column of list markers and their items."""
    gaps = _gaps([(s.x0, s.x1) for s in region], gutter)
    if not gaps:
        return gaps
    kept, left = [], -float("inf")
    for gap in gaps:
        part = [s for s in region if left <= s.x0 < gap[1] - 1e-6]
        if part and not all(_is_marker(s) for s in part):
            kept.append(gap)
            left = gap[1] - 1e-6
    return kept


def order_segments(items: list[Segment], gutter: float, band_gap: float = 0.5) -> list[tuple[Segment, int]]:
    """Segments in reading order, each with a column id (equal ids = same column region)."""
    out: list[tuple[Segment, int]] = []
    counter = [0]

    def visit(region: list[Segment], column: int) -> None:
        if len(region) == 1:
            out.append((region[0], column))
            return
        gaps = column_gaps(region, gutter)
        if gaps:
            for part in _split_x(region, gaps):
                counter[0] += 1
                visit(part, counter[0])
            return
        bands = _bands(region, band_gap)
        if len(bands) == 1:
            for row in _rows(region):  # rows by vertical overlap, so a bullet set a bit lower stays first
                out.extend((s, column) for s in row)
            return
        groups: list[list[Segment]] = [bands[0]]
        for band in bands[1:]:
            merged = groups[-1] + band
            if column_gaps(merged, gutter):
                groups[-1] = merged
            else:
                groups.append(band)
        for group in groups:
            visit(group, column)

    if items:
        visit(items, 0)
    return out


# ----------------------------------------------------------------------------------------------
# Blocks


def group_blocks(ordered: list[tuple[Segment, int]], tables: list[TableRegion]) -> list[BlockDraft]:
    """Consecutive lines of one column with paragraph-like spacing and equal font size form a block.

    Tables come in as one pseudo-segment each (`table >= 0`) and become one block of rows.
    """
    blocks: list[BlockDraft] = []
    for s, column in ordered:
        if s.table >= 0:
            rows = tables[s.table].rows
            blocks.append(BlockDraft("table", rows, column, median(r.size for r in rows)))
            continue
        if blocks and blocks[-1].kind != "table" and blocks[-1].column == column:
            prev = blocks[-1].lines[-1]
            if min(s.bottom, prev.bottom) - max(s.top, prev.top) >= 0.5 * min(s.height, prev.height):
                blocks[-1].lines.append(s)  # same row: a list item after its bullet
                continue
            gap = s.top - prev.bottom
            same_size = abs(s.size - blocks[-1].size) <= 0.15 * blocks[-1].size
            same_weight = s.bold == prev.bold or len(blocks[-1].lines) > 1
            bx0, _, bx1, _ = blocks[-1].bbox
            overlaps = min(s.x1, bx1) - max(s.x0, bx0) > 0
            if same_size and same_weight and overlaps and -0.5 * s.height <= gap <= 0.6 * s.size:
                blocks[-1].lines.append(s)
                continue
        blocks.append(BlockDraft("paragraph", [s], column, s.size))
    return blocks


def body_font_size(segments: list[Segment]) -> float:
    """The font size most text is set in (weighted by characters)."""
    sizes: Counter[float] = Counter()
    for s in segments:
        sizes[round(s.size * 2) / 2] += len(s.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def mark_headings(blocks: list[BlockDraft], body_size: float) -> None:
    """Short blocks set larger than the body text, or bold lines standing alone, are headings."""
    for b in blocks:
        if b.kind == "table":
            continue
        text = " ".join(s.text for s in b.lines).strip()
        if not text or len(text) > 160 or len(b.lines) > 3 or _NUMERIC.match(text):
            continue
        larger = b.size >= 1.15 * body_size
        bold_alone = all(s.bold for s in b.lines) and len(b.lines) <= 2 and not text.endswith((".", ":", ";", ","))
        if (larger or bold_alone) and sum(c.isalpha() for c in text) >= 3:
            b.kind = "heading"
