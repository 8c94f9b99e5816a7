"""Real development reports from ../shared/data (skipped when absent): reading order and provenance."""

import unicodedata
from collections import Counter

import pdfplumber
import pytest

from pipeline.extract import extract
from pipeline.screen import new_document, screen_pdf
from tests.conftest import real_report

pytestmark = pytest.mark.real_data


def test_philips_two_column_page_reads_left_column_before_right():
    path = real_report("philips_2018_annual_report_en.pdf")
    doc = extract(new_document(path), path=path)
    text = doc.page(31).text
    left = ["Company’s ratings will not trigger", "Philips pools cash from subsidiaries",
            "Philips believes its current liquidity", "Shareholders’ equity increased by EUR 89 million"]
    right = ["million (including tax and service charges)", "The number of outstanding common shares"]
    assert [text.index(s) for s in left + right] == sorted(text.index(s) for s in left + right)
    assert "Fitch | A- | Stable" in text  # the rating table keeps its rows
    assert "Annual Report 2018" not in text  # running footer


def test_pm_group_three_columns_read_in_order():
    path = real_report("pm_group_2019_modern_slavery_statement_en.pdf")
    text = extract(new_document(path), path=path).page(1).text
    order = ["PM Group recognises that it has a responsibility", "Our Business", "PM Group is committed to complying",
             "Assessment of Supply Chain", "Supplier compliance with the principles", "Approval"]
    assert [text.index(s) for s in order] == sorted(text.index(s) for s in order)


@pytest.mark.parametrize("name, covenant", [
    ("siemens_fy2023_sustainability_report_en.pdf", "human_rights"),
    ("shell_2021_sustainability_report_en.pdf", "human_rights"),
    ("philips_2018_annual_report_en.pdf", "human_rights"),
])
def test_every_evidence_quote_is_on_the_page_it_claims(name, covenant, resources):
    path = real_report(name)
    doc = screen_pdf(path, resources=resources, covenant=covenant)
    assert doc.status.value == "ok" and doc.scorecard is not None
    passages = {p.id: p for p in doc.passages}
    quotes = [(ev, passages[ev.passage_id]) for row in doc.scorecard.cells.values() for cell in row.values()
              for ev in cell.evidence]
    assert len(quotes) >= 10
    with pdfplumber.open(path) as pdf:
        for ev, p in quotes:
            assert ev.page == p.page and doc.page(p.page).text[p.start:p.end] == ev.quote
            # independent check with pdfplumber: the quote's characters lie inside its box on that page
            # (compared as multisets: pdfplumber's own word grouping interleaves overlapping chart labels)
            box = (max(p.bbox.x0 - 2, 0), max(p.bbox.top - 2, 0), p.bbox.x1 + 2, p.bbox.bottom + 2)
            # (ligature glyphs such as "ﬁ" are compared as the letters they stand for, NFKC)
            boxed = Counter(ch for c in pdf.pages[p.page - 1].crop(box, strict=False).chars
                            for ch in unicodedata.normalize("NFKC", c["text"]).lower() if ch.isalnum())
            quoted = Counter(c.lower() for c in ev.quote if c.isalnum())
            missing = sum((quoted - boxed).values())
            assert missing <= 0.03 * sum(quoted.values()), (name, ev.page, ev.quote[:80], quoted - boxed)
