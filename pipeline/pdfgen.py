"""Write small report-like PDFs from a structured spec: the bundled sample and the test fixtures.

The project owns every PDF it ships or tests with: they are generated here from text in the
repository (see `corpora/samples/*.yaml`). Layouts cover what real reports throw at the extractor:
one and two columns, running headers and footers with page numbers, headings, words hyphenated at
line ends, tables with and without ruling lines, image-only pages, encryption.

Spec (a dict, usually loaded from YAML)::

    title: ...            # PDF metadata title
    header: "Company - Annual Report 2023"   # running header on every page
    footer: "Page {page}"                    # running footer, {page} is the page number
    pages:
      - columns: 2        # 1 or 2
        blocks:
          - heading: "Human rights"
          - text: "Paragraph text ..."
          - lines: ["explicit line with a hyphen-", "ated word"]   # exact line breaks
          - table: {ruled: true, rows: [["Country", "Factories"], ["Bangladesh", "112"]]}
      - image_only: true  # a scanned page: an image, no text layer
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen import canvas

BODY_FONT, BODY_SIZE, LEADING = "Helvetica", 10, 13
HEAD_FONT, HEAD_SIZE = "Helvetica-Bold", 14
MARGIN, GUTTER = 56, 24
TOP, BOTTOM = A4[1] - 80, 70


class _Writer:
    def __init__(self, c: canvas.Canvas, columns: int):
        self.c = c
        width = A4[0] - 2 * MARGIN
        self.col_width = (width - (columns - 1) * GUTTER) / columns
        self.columns = columns
        self.col = 0
        self.y = TOP

    @property
    def x(self) -> float:
        return MARGIN + self.col * (self.col_width + GUTTER)

    def _room(self, height: float) -> None:
        if self.y - height < BOTTOM:
            if self.col + 1 < self.columns:
                self.col += 1
                self.y = TOP
            else:
                raise ValueError("page content does not fit: split it over more pages in the spec")

    def line(self, text: str, font: str = BODY_FONT, size: float = BODY_SIZE) -> None:
        self._room(LEADING)
        self.c.setFont(font, size)
        self.c.drawString(self.x, self.y - size, text)
        self.y -= LEADING if size <= BODY_SIZE else size + 6

    def paragraph(self, text: str) -> None:
        for line in simpleSplit(text, BODY_FONT, BODY_SIZE, self.col_width):
            self.line(line)
        self.y -= LEADING * 0.8

    def heading(self, text: str) -> None:
        self._room(HEAD_SIZE + 6 + 2 * LEADING)  # keep a heading with its first lines
        self.y -= 4
        for line in simpleSplit(text, HEAD_FONT, HEAD_SIZE, self.col_width):
            self.line(line, HEAD_FONT, HEAD_SIZE)

    def table(self, rows: list[list[str]], ruled: bool) -> None:
        n = max(len(r) for r in rows)
        first = self.col_width * 0.4 if n > 2 else self.col_width / n
        widths = [first] + [(self.col_width - first) / (n - 1)] * (n - 1) if n > 1 else [self.col_width]
        row_h = LEADING + 4
        self._room(row_h * len(rows))
        top = self.y
        self.c.setFont(BODY_FONT, BODY_SIZE - 1)
        for r, row in enumerate(rows):
            y = top - (r + 1) * row_h
            x = self.x
            for k, cell in enumerate(row):
                if k == 0:
                    self.c.drawString(x + 3, y + 5, cell)
                else:
                    self.c.drawRightString(x + widths[k] - 3, y + 5, cell)
                x += widths[k]
        if ruled:
            self.c.setLineWidth(0.5)
            xs = [self.x]
            for w in widths:
                xs.append(xs[-1] + w)
            ys = [top - r * row_h for r in range(len(rows) + 1)]
            for y in ys:
                self.c.line(xs[0], y, xs[-1], y)
            for x in xs:
                self.c.line(x, ys[0], x, ys[-1])
        self.y = top - len(rows) * row_h - LEADING


def _scan_image():
    from PIL import Image, ImageDraw

    img = Image.new("L", (620, 877), 255)
    draw = ImageDraw.Draw(img)
    for k in range(40):
        y = 60 + k * 19
        draw.rectangle([60, y, 560 - (k * 37) % 140, y + 9], fill=90)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    return ImageReader(buf)


def build_pdf(spec: dict, path: Path | None = None, *, user_password: str | None = None,
              owner_password: str | None = None) -> bytes:
    """Render `spec` to PDF bytes (and to `path` when given). Output is byte-for-byte reproducible."""
    buf = io.BytesIO()
    encrypt = None
    if user_password is not None or owner_password is not None:
        encrypt = StandardEncryption(user_password or "", ownerPassword=owner_password or "owner-secret", strength=128)
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, encrypt=encrypt, pageCompression=0)
    c.setTitle(spec.get("title", ""))
    c.setAuthor(spec.get("author", "imvo-screen test fixtures"))
    for number, page in enumerate(spec["pages"], 1):
        if page.get("image_only"):
            c.drawImage(_scan_image(), 0, 0, width=A4[0], height=A4[1])
            c.showPage()
            continue
        if spec.get("header"):
            c.setFont(BODY_FONT, 8)
            c.drawString(MARGIN, A4[1] - 40, spec["header"].format(page=number))
        if spec.get("footer"):
            c.setFont(BODY_FONT, 8)
            c.drawRightString(A4[0] - MARGIN, 36, spec["footer"].format(page=number))
        w = _Writer(c, int(page.get("columns", 1)))
        for block in page.get("blocks", []):
            if "heading" in block:
                w.heading(block["heading"])
            elif "text" in block:
                w.paragraph(" ".join(block["text"].split()))
            elif "lines" in block:
                for line in block["lines"]:
                    w.line(line)
                w.y -= LEADING * 0.8
            elif "table" in block:
                w.table(block["table"]["rows"], bool(block["table"].get("ruled", False)))
            elif "column_break" in block:
                w.col, w.y = min(w.col + 1, w.columns - 1), TOP
            else:
                raise ValueError(f"unknown block {block!r}")
        c.showPage()
    c.save()
    data = buf.getvalue()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data)
    return data


def corrupt_pdf(valid: bytes) -> bytes:
    """A file that starts like a PDF but whose body and cross-reference table are garbage."""
    junk = bytes((i * 73 + 41) % 256 for i in range(4096))
    return valid[:16] + junk
