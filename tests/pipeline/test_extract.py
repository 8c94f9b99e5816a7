"""Extraction on generated PDFs: reading order, running text, hyphenation, tables, bad files."""

import pdfplumber
import pytest

from pipeline.document import ErrorCategory, Status
from pipeline.extract import extract
from pipeline.screen import new_document
from tests.fixtures import LEFT, RIGHT


def extracted(path):
    doc = new_document(path)
    return extract(doc, path=path)


def test_two_column_page_reads_each_column_top_to_bottom(pdfs):
    text = extracted(pdfs["english"]).page(2).text
    positions = [text.index(p) for p in LEFT + RIGHT]
    assert positions == sorted(positions)
    assert "Left column first paragraph. We assess human rights risks at all our suppliers every year, " \
           "starting with" in text
    # pdfplumber's default output interleaves the columns line by line: this is what we fix
    with pdfplumber.open(pdfs["english"]) as pdf:
        naive = " ".join(pdf.pages[1].extract_text().split())
    assert naive.index("Right column first") < naive.index("Left column second")


def test_running_header_footer_and_page_numbers_are_removed_and_recorded(pdfs):
    doc = extracted(pdfs["english"])
    for page in doc.pages:
        assert "Fixture Company" not in page.text
        assert f"Page {page.number}" not in page.text
        assert {r.reason for r in page.removed} >= {"header"}
        assert any(r.text == f"Page {page.number}" for r in page.removed)


def test_hyphen_at_line_end_is_repaired(pdfs):
    text = extracted(pdfs["english"]).page(1).text
    assert "where responsibility lies upstream" in text
    assert "responsi-" not in text


def test_table_rows_are_readable_lines_not_glued_cells(pdfs):
    doc = extracted(pdfs["english"])
    page = doc.page(3)
    for row in ("Country | Suppliers | Audited", "Bangladesh | 18 | 18", "India | 12 | 11",
                "Region | Workers | Women", "Asia | 41200 | 68%"):
        assert row in page.text.split("\n")
    assert page.tables == 2
    assert [b.kind for b in page.blocks].count("table") == 2


def test_lines_carry_boxes_and_spans_into_the_page_text(pdfs):
    doc = extracted(pdfs["english"])
    page = doc.page(2)
    for line in page.lines:
        assert 0 <= line.start < line.end <= len(page.text)
        assert 0 <= line.bbox.x0 < line.bbox.x1 <= page.width
        assert 0 <= line.bbox.top < line.bbox.bottom <= page.height
    first_right = next(ln for ln in page.lines if page.text[ln.start:ln.end].startswith("Right column first"))
    first_left = next(ln for ln in page.lines if page.text[ln.start:ln.end].startswith("Left column first"))
    assert first_right.bbox.x0 > page.width / 2 > first_left.bbox.x1


def test_image_only_page_is_recorded_not_silently_empty(pdfs):
    doc = extracted(pdfs["with_scan"])
    assert doc.status is Status.partial
    assert doc.page(2).text_layer is False
    [err] = doc.errors
    assert (err.category, err.page) == (ErrorCategory.no_text_layer, 2)
    assert "OCR" in err.message


def test_document_without_any_text_layer_fails(pdfs):
    doc = extracted(pdfs["only_scan"])
    assert doc.status is Status.failed
    assert ErrorCategory.no_text in {e.category for e in doc.errors}


@pytest.mark.parametrize("name, category", [
    ("encrypted", ErrorCategory.encrypted),
    ("corrupt", ErrorCategory.corrupt),
    ("not_a_pdf", ErrorCategory.not_a_pdf),
    ("empty", ErrorCategory.not_a_pdf),
    ("missing", ErrorCategory.file_not_found),
])
def test_unreadable_files_become_error_records(pdfs, name, category):
    doc = extracted(pdfs[name])
    assert doc.status is Status.failed
    assert [e.category for e in doc.errors] == [category]
    assert doc.pages == []


def test_pdf_with_only_an_owner_password_is_read(pdfs):
    doc = extracted(pdfs["owner_only"])
    assert doc.status is Status.ok
    assert "Right column third paragraph" in doc.page(2).text
