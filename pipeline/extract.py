"""Stage 1, extract: PDF -> pages with clean text in reading order, lines and blocks with boxes.

pypdfium2 is the fast path: characters and their boxes in one pass over each page. pdfplumber is
used where it is better, on pages that look like tables, to read ruled tables cell by cell. Layout
rules (columns, tables of aligned text, headings, running headers) live in `pipeline.layout`.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import re
import signal
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.document import (
    BBox,
    Block,
    Document,
    ErrorCategory,
    Line,
    Page,
    RemovedText,
    Stage,
)
from pipeline.layout import (
    BlockDraft,
    Segment,
    TableRegion,
    assign_tables,
    body_font_size,
    find_running_text,
    find_text_tables,
    group_blocks,
    mark_headings,
    order_segments,
)

log = logging.getLogger(__name__)

_LINE_END_HYPHEN = {"\ufffe", "\x02", "\u00ad"}
_SPACE = {" ", "\t", "\xa0", "\u2002", "\u2003", "\u2009", "\u200b"}
# Symbol-font bullets arrive as private-use code points.
_BULLETS = {"\uf0b7": "•", "\uf0a7": "▪", "\uf076": "❖", "\uf0d8": "➢", "\uf0fc": "✓", "\uf0a8": "•", "\uf02d": "-"}
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_PAGES_PER_WORKER = 8  # below this many pages per process, forking costs more than it saves
_MIN_TEXT_CHARS = 20  # fewer non-space characters than this on a page with an image = no text layer


class _RawPage:
    """What one pass over a page yields: segments, size, and whether an image stands in for text."""

    __slots__ = ("number", "width", "height", "segments", "image_only")

    def __init__(self, number: int, width: float, height: float):
        self.number = number
        self.width = width
        self.height = height
        self.segments: list[Segment] = []
        self.image_only = False


def _font(textpage, index: int, buf: ctypes.Array) -> tuple[float, bool]:
    size = pdfium_c.FPDFText_GetFontSize(textpage, index)
    weight = pdfium_c.FPDFText_GetFontWeight(textpage, index)
    if weight > 0:
        return size, weight >= 600
    n = pdfium_c.FPDFText_GetFontInfo(textpage, index, buf, len(buf), None)
    name = bytes(buf[: max(n - 1, 0)]).decode("latin-1").lower() if n else ""
    return size, any(k in name for k in ("bold", "black", "heavy", "semibold", "demi"))


def read_segments(page, number: int) -> _RawPage:
    """All text of one page as line segments: runs on one baseline split at column-sized gaps."""
    left, bottom, right, top = page.get_cropbox()
    raw = _RawPage(number, right - left, top - bottom)
    textpage = page.get_textpage()
    try:
        tp = textpage.raw
        n = pdfium_c.FPDFText_CountChars(tp)
        text = textpage.get_text_range() if n > 0 else ""
        if len(text) != n:  # characters outside the BMP: fall back to one lookup per character
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(tp, i)) for i in range(n))
        rect = pdfium_c.FS_RECTF()
        rect_ref = ctypes.byref(rect)
        get_box = pdfium_c.FPDFText_GetLooseCharBox
        font_buf = (ctypes.c_ubyte * 128)()
        segments = raw.segments
        is_generated = pdfium_c.FPDFText_IsGenerated
        chars: list[str] = []
        heights: list[float] = []
        x0 = t0 = x1 = b0 = 0.0
        first = -1
        space = 0  # 0 none, 1 a space from the content stream, 2 a space pdfium generated
        hyphen = False
        visible = 0

        def close() -> None:
            nonlocal chars, heights, first, hyphen
            if chars:
                seg_text = "".join(chars).strip()
                if seg_text:
                    size, bold = _font(tp, first, font_buf)
                    # Font size as drawn: the loose box is about 1.15 em high whatever the text matrix.
                    heights.sort()
                    drawn = heights[len(heights) // 2] / 1.15 if heights[-1] > 0 else size
                    segments.append(Segment(seg_text, x0, t0, x1, b0, drawn, bold, hyphen))
            chars = []
            heights = []
            first = -1
            hyphen = False

        for i, ch in enumerate(text):
            if ch == "\r" or ch == "\n":
                close()
                space = 0
                continue
            if ch in _SPACE:
                space = max(space, 2 if is_generated(tp, i) else 1)
                continue
            if ch in _LINE_END_HYPHEN:
                hyphen = True
                continue
            get_box(tp, i, rect_ref)
            cx0 = rect.left - left
            cx1 = rect.right - left
            ct = top - rect.top
            cb = top - rect.bottom
            visible += 1
            if chars:
                h = heights[len(heights) // 2] if len(heights) > 2 else b0 - t0
                overlap = min(cb, b0) - max(ct, t0)
                gap = cx0 - x1
                # A space typed in the document joins words however wide justification makes it;
                # a gap pdfium bridged on its own joins only if it is word-sized (gutters are wider).
                limit = 2.0 * h if space == 1 else 0.5 * h
                if overlap >= 0.4 * min(h, cb - ct) and -1.0 * h < gap < limit and not hyphen:  # ligatures share a box
                    if space:
                        chars.append(" ")
                    chars.append(_BULLETS.get(ch, ch))
                    heights.append(cb - ct)
                    x1 = max(x1, cx1)
                    t0 = min(t0, ct)
                    b0 = max(b0, cb)
                    space = 0
                    continue
                close()
            chars = [_BULLETS.get(ch, ch)]
            heights = [cb - ct]
            first = i
            x0, t0, x1, b0 = cx0, ct, cx1, cb
            space = 0
        close()
        if visible < _MIN_TEXT_CHARS:
            raw.image_only = _has_large_image(page, raw.width * raw.height)
    finally:
        textpage.close()
    return raw


def _has_large_image(page, area: float) -> bool:
    """Does an image cover a sizeable part of the page (a scan standing in for text)?"""
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        x0, y0, x1, y1 = obj.get_bounds()
        if (x1 - x0) * (y1 - y0) >= 0.25 * area:
            return True
    return False


def _path_bounds(page_raw, max_depth: int = 2):
    """Bounds (left, bottom, right, top) of the path objects of a page, descending into form objects
    `max_depth - 1` levels. pdfium's C API directly: pypdfium2's object helpers cost ten times more."""
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    refs = (ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top))
    stack = [(pdfium_c.FPDFPage_CountObjects(page_raw), lambda i: pdfium_c.FPDFPage_GetObject(page_raw, i), 0)]
    while stack:
        count, get, level = stack.pop()
        for i in range(count):
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                if pdfium_c.FPDFPageObj_GetBounds(obj, *refs):
                    yield left.value, bottom.value, right.value, top.value
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and level < max_depth - 1:
                stack.append((pdfium_c.FPDFFormObj_CountObjects(obj),
                              lambda j, form=obj: pdfium_c.FPDFFormObj_GetObject(form, j), level + 1))


def _has_grid(page, regions: list[TableRegion]) -> bool:
    """Are there horizontal and vertical rules near a table candidate? Only then is pdfplumber worth it.

    pdfplumber parses the whole page (about 0.4 s for a dense annual-report page), and its
    line-based table finder needs ruling lines in both directions to find cells.
    """
    try:
        height = page.get_cropbox()[3]
        horizontal = vertical = 0
        for x0, y0, x1, y1 in _path_bounds(page.raw):
            top, bottom = height - y1, height - y0
            if not any(r.x0 - 5 <= x1 and x0 <= r.x1 + 5 and r.top - 20 <= bottom and top <= r.bottom + 5 for r in regions):
                continue
            if y1 - y0 <= 2 and x1 - x0 > 10:
                horizontal += 1
            elif x1 - x0 <= 2 and y1 - y0 > 5:
                vertical += 1
            if horizontal >= 2 and vertical >= 2:
                return True
        return False
    finally:
        page.close()


def _ruled_tables(plumber_page) -> list[TableRegion]:
    """Tables with ruling lines, read by pdfplumber cell by cell; each row one readable line."""
    regions = []
    for table in plumber_page.find_tables():
        rows = table.extract()
        if len(rows) < 2 or max(len(r) for r in rows) < 2:
            continue
        x0, top, x1, bottom = table.bbox
        region = TableRegion(x0, top, x1, bottom)
        for cells, row in zip(rows, table.rows):
            texts = [" ".join(c.split()) for c in cells if c and c.strip()]
            if texts:
                rx0, rtop, rx1, rbottom = row.bbox
                region.rows.append(Segment(" | ".join(texts), rx0, rtop, rx1, rbottom, 0.0))
        if region.rows:
            regions.append(region)
    return regions


def _overlaps(a: TableRegion, b: TableRegion) -> bool:
    return min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.bottom, b.bottom) > max(a.top, b.top)


class _Dehyphenator:
    """Decide whether a word broken at a line end was hyphenated by the typesetter or by the author.

    'responsi-/bility' becomes 'responsibility'; 'USD-/denominated' stays hyphenated, because the
    document itself writes the compound with a hyphen elsewhere or the first part is an acronym.
    """

    def __init__(self, texts: list[str]):
        self.words: Counter[str] = Counter()
        for t in texts:
            self.words.update(w.lower() for w in _WORD.findall(t))

    def join(self, left: str, right: str) -> str:
        head = left.rstrip("-")
        a = _WORD.findall(head[-40:])
        b = _WORD.findall(right[:40])
        if not a or not b or not head or not head[-1].isalpha():
            return head + "-" + right
        last, first = a[-1], b[0]
        if not right[0].isalpha():
            return head + "-" + right
        joined, hyphenated = (last + first).lower(), f"{last}-{first}".lower()
        if self.words[joined] > self.words[hyphenated]:
            return head + right
        if self.words[hyphenated] > 0 or last.isupper() or right[0].isupper():
            return head + "-" + right
        return head + right


def _render(blocks: list[BlockDraft], dehyphenate: _Dehyphenator) -> tuple[str, list[Line], list[Block]]:
    """Page text in reading order; spans of lines and blocks index into it."""
    parts: list[str] = []
    lines: list[Line] = []
    out_blocks: list[Block] = []
    pos = 0
    for b_index, block in enumerate(blocks):
        if parts:
            parts.append("\n\n")
            pos += 2
        start = pos
        text = ""
        line_starts: list[tuple[int, Segment]] = []
        for i, seg in enumerate(block.lines):
            if i == 0:
                line_starts.append((0, seg))
                text = seg.text
                continue
            prev = block.lines[i - 1]
            if block.kind == "table":
                text += "\n"
                line_starts.append((len(text), seg))
                text += seg.text
            elif prev.hyphen_end or (prev.text.endswith("-") and len(prev.text) > 1 and prev.text[-2].isalpha()):
                joined = dehyphenate.join(text, seg.text)
                line_starts.append((len(joined) - len(seg.text), seg))
                text = joined
            else:
                text += " "
                line_starts.append((len(text), seg))
                text += seg.text
        for k, (offset, seg) in enumerate(line_starts):
            end = line_starts[k + 1][0] if k + 1 < len(line_starts) else len(text)
            end_text = text[offset:end].rstrip(" \n")
            lines.append(Line(start=start + offset, end=start + offset + len(end_text),
                              bbox=BBox(x0=seg.x0, top=seg.top, x1=seg.x1, bottom=seg.bottom).rounded(),
                              block=b_index))
        x0, top, x1, bottom = block.bbox
        out_blocks.append(Block(start=start, end=start + len(text), bbox=BBox(x0=x0, top=top, x1=x1, bottom=bottom).rounded(),
                                kind=block.kind, column=block.column, font_size=round(block.size, 1)))
        parts.append(text)
        pos += len(text)
    return "".join(parts), lines, out_blocks


def open_pdf(doc: Document, path: Path) -> pdfium.PdfDocument | None:
    """Open the PDF, or record why it cannot be opened (missing, not a PDF, encrypted, corrupt)."""
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except FileNotFoundError:
        doc.add_error(Stage.open, ErrorCategory.file_not_found, f"file not found: {path}")
        return None
    except OSError as e:
        doc.add_error(Stage.open, ErrorCategory.file_not_found, f"file cannot be read: {e}")
        return None
    if not head:
        doc.add_error(Stage.open, ErrorCategory.not_a_pdf, "the file is empty (0 bytes); the download or copy may have failed")
        return None
    if b"%PDF-" not in head:
        doc.add_error(Stage.open, ErrorCategory.not_a_pdf,
                      "the file is not a PDF (no %PDF- header); check that the right file was given")
        return None
    try:
        pdf = pdfium.PdfDocument(str(path))  # an empty user password is tried automatically
    except pdfium.PdfiumError as e:
        if e.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            doc.add_error(Stage.open, ErrorCategory.encrypted,
                          "the PDF is encrypted with a password; ask the publisher for an unprotected copy "
                          "or decrypt it (e.g. `qpdf --decrypt --password=...`) and screen again")
        else:
            doc.add_error(Stage.open, ErrorCategory.corrupt,
                          f"the PDF is damaged and cannot be parsed ({e}); try repairing it "
                          "(e.g. `qpdf in.pdf out.pdf`) or obtain a fresh copy")
        return None
    doc.source.page_count = len(pdf)
    return pdf


def extract(doc: Document, *, path: Path, tables: bool = True, max_pages: int = 2000, workers: int = 1) -> Document:
    """Fill `doc.pages`. Pages that fail or have no text layer become error records; pages beyond
    `max_pages` are left out and recorded (a report of thousands of pages is rarely a report).

    `workers` > 1 reads pages in that many forked processes; only safe in a single-threaded
    process, which is why only the isolated extract child asks for it."""
    pdf = open_pdf(doc, path)
    if pdf is None:
        return doc
    if len(pdf) > max_pages:
        doc.add_error(Stage.extract, ErrorCategory.too_many_pages,
                      f"the PDF has {len(pdf)} pages; only the first {max_pages} were screened "
                      "(raise IMVO_MAX_PAGES to screen more)")
    try:
        _title = pdf.get_metadata_value("Title").strip()
        if _title and not doc.source.metadata.title:
            doc.source.metadata.title = _title[:300]
    except Exception:  # metadata is a nicety; broken info dictionaries are common
        pass
    try:
        return _extract_pages(doc, pdf, path, tables, min(len(pdf), max_pages), workers)
    finally:
        pdf.close()


def _read_pages(pdf: pdfium.PdfDocument, indices: range) -> tuple[list[_RawPage], list[tuple[int, str]]]:
    """Pass 1 over the given pages: raw segments, and (page, message) for pages that failed."""
    raw_pages: list[_RawPage] = []
    failures: list[tuple[int, str]] = []
    for index in indices:
        number = index + 1
        try:
            page = pdf[index]
        except pdfium.PdfiumError as e:
            failures.append((number, f"page could not be loaded ({e}); it is skipped"))
            raw_pages.append(_RawPage(number, 0.0, 0.0))
            continue
        try:
            raw_pages.append(read_segments(page, number))
        except pdfium.PdfiumError as e:
            failures.append((number, f"text could not be read ({e}); the page is skipped"))
            left, bottom, right, top = page.get_cropbox()
            raw_pages.append(_RawPage(number, right - left, top - bottom))
        finally:
            page.close()
    return raw_pages, failures


def _raw_to_json(raw_pages: list[_RawPage], failures: list[tuple[int, str]]) -> bytes:
    return json.dumps({
        "pages": [[r.number, r.width, r.height, r.image_only,
                   [[s.text, s.x0, s.top, s.x1, s.bottom, s.size, s.bold, s.hyphen_end] for s in r.segments]]
                  for r in raw_pages],
        "failures": failures,
    }, separators=(",", ":")).encode("utf-8")


def _raw_from_json(payload: bytes) -> tuple[list[_RawPage], list[tuple[int, str]]]:
    data = json.loads(payload)
    raw_pages = []
    for number, width, height, image_only, segments in data["pages"]:
        raw = _RawPage(number, width, height)
        raw.image_only = image_only
        raw.segments = [Segment(*seg) for seg in segments]
        raw_pages.append(raw)
    return raw_pages, [tuple(f) for f in data["failures"]]


def _read_pages_forked(pdf: pdfium.PdfDocument, path: Path, n_pages: int, workers: int) -> tuple[list[_RawPage], list[tuple[int, str]]]:
    """Pass 1 split over `workers` processes: this one reads every `workers`-th page, forked helpers
    the others (each opens the file itself) and send their segments back as JSON over a pipe.

    Only for a single-threaded process (the isolated extract child): forking a process with threads
    is unsafe. A helper dies with its parent (PR_SET_PDEATHSIG), so a timeout kill leaves nothing
    behind; if a helper fails, its pages are read here instead.
    """
    helpers: list[tuple[int, int, range]] = []
    for w in range(1, workers):
        indices = range(w, n_pages, workers)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the forked helper; its result is checked in the parent
            code = 1
            try:
                os.close(read_fd)
                _die_with_parent()
                own = pdfium.PdfDocument(str(path))
                try:
                    payload = _raw_to_json(*_read_pages(own, indices))
                finally:
                    own.close()
                with os.fdopen(write_fd, "wb") as out:
                    out.write(payload)
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        helpers.append((pid, read_fd, indices))
    raw_pages, failures = _read_pages(pdf, range(0, n_pages, workers))
    for pid, read_fd, indices in helpers:
        with os.fdopen(read_fd, "rb") as src:
            payload = src.read()
        _, status = os.waitpid(pid, 0)
        try:
            if status != 0:
                raise ValueError(f"page reader exited with status {status}")
            more, more_failures = _raw_from_json(payload)
        except ValueError:
            log.warning("a page reader process failed; reading its pages here", exc_info=True)
            more, more_failures = _read_pages(pdf, indices)
        raw_pages += more
        failures += more_failures
    raw_pages.sort(key=lambda r: r.number)
    failures.sort()
    return raw_pages, failures


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked helper
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:
        os._exit(1)


def _extract_pages(doc: Document, pdf: pdfium.PdfDocument, path: Path, tables: bool, n_pages: int,
                   workers: int = 1) -> Document:
    if workers > 1 and n_pages >= _PAGES_PER_WORKER * 2:
        raw_pages, failures = _read_pages_forked(pdf, path, n_pages, min(workers, n_pages // _PAGES_PER_WORKER))
    else:
        raw_pages, failures = _read_pages(pdf, range(n_pages))
    for number, message in failures:
        doc.add_error(Stage.extract, ErrorCategory.page_error, message, page=number)

    running = find_running_text([p.segments for p in raw_pages], [p.height for p in raw_pages])
    dehyphenate = _Dehyphenator([s.text for p in raw_pages for s in p.segments])
    all_segments = [s for p in raw_pages for s in p.segments]
    doc_body = body_font_size(all_segments)

    plumber = None
    try:
        for p_index, raw in enumerate(raw_pages):
            page = Page(number=raw.number, width=round(raw.width, 2), height=round(raw.height, 2))
            doc.pages.append(page)
            if raw.image_only:
                page.text_layer = False
                doc.add_error(Stage.extract, ErrorCategory.no_text_layer,
                              "page is an image without a text layer (a scan); run OCR, e.g. `ocrmypdf`, and screen again",
                              page=raw.number)
                continue
            keep: list[Segment] = []
            for i, seg in enumerate(raw.segments):
                reason = running.get((p_index, i))
                if reason:
                    page.removed.append(RemovedText(text=seg.text, reason=reason,
                                                    bbox=BBox(x0=seg.x0, top=seg.top, x1=seg.x1, bottom=seg.bottom).rounded()))
                else:
                    keep.append(seg)
            if not keep:
                continue
            regions = find_text_tables(keep)
            if tables and regions and _has_grid(pdf[p_index], regions):
                try:
                    if plumber is None:
                        import pdfplumber

                        plumber = pdfplumber.open(path)
                    ruled = _ruled_tables(plumber.pages[p_index])
                    regions = ruled + [r for r in regions if not any(_overlaps(r, q) for q in ruled)]
                except Exception as e:  # pdfplumber parses independently and may choke on odd pages
                    doc.add_error(Stage.extract, ErrorCategory.table_error,
                                  f"pdfplumber could not read the tables ({type(e).__name__}: {e}); aligned-text rows are used",
                                  page=raw.number)
            assign_tables(keep, regions)
            items = [s for s in keep if s.table < 0]
            for t, region in enumerate(regions):
                items.append(Segment("", region.x0, region.top, region.x1, region.bottom, doc_body, table=t))
            ordered = order_segments(items, gutter=max(0.45 * doc_body, 3.0))
            blocks = group_blocks(ordered, regions)
            mark_headings(blocks, doc_body)
            page.text, page.lines, page.blocks = _render(blocks, dehyphenate)
            page.tables = len(regions)
    finally:
        if plumber is not None:
            try:
                plumber.close()
            except Exception:  # pdfplumber re-reads pages on close and can choke on the same damage
                log.debug("pdfplumber could not close %s cleanly", path, exc_info=True)

    if doc.pages and not any(p.text.strip() for p in doc.pages):
        doc.add_error(Stage.extract, ErrorCategory.no_text,
                      "no page has extractable text; if this is a scan, run OCR (e.g. `ocrmypdf`) and screen again")
    return doc
