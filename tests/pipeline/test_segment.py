"""Sentences, languages and passages with provenance."""

import re

import pdfplumber
import pytest

from pipeline.document import passage_id
from pipeline.extract import extract
from pipeline.screen import new_document
from pipeline.segment import segment, split_sentences


def segmented(path):
    doc = new_document(path)
    return segment(extract(doc, path=path))


@pytest.mark.parametrize("lang, text, expected", [
    ("en", "We source cotton from e.g. India, i.e. a high-risk country. See No. 5 in the annex. "
           "Approx. 12% of suppliers were audited in 2023. Smith et al. agreed. It grew 3.5% vs. 2022.",
     ["We source cotton from e.g. India, i.e. a high-risk country.", "See No. 5 in the annex.",
      "Approx. 12% of suppliers were audited in 2023.", "Smith et al. agreed.", "It grew 3.5% vs. 2022."]),
    ("nl", "Wij kopen o.a. katoen in bijv. India. Zie nr. 5 in de tabel. Ca. 12% is geaudit m.b.t. "
           "kinderarbeid. Dit is i.s.m. de SER gedaan t.o.v. vorig jaar. Art. 3 is van toepassing.",
     ["Wij kopen o.a. katoen in bijv. India.", "Zie nr. 5 in de tabel.", "Ca. 12% is geaudit m.b.t. kinderarbeid.",
      "Dit is i.s.m. de SER gedaan t.o.v. vorig jaar.", "Art. 3 is van toepassing."]),
])
def test_sentences_survive_abbreviations(lang, text, expected):
    [spans] = split_sentences([text], lang)
    assert [text[s:e].strip() for s, e in spans] == expected


def test_bullets_start_new_sentences():
    text = "Our policies include: • Human Rights policy • Supplier Code of Conduct"
    [spans] = split_sentences([text], "en")
    assert [text[s:e].strip() for s, e in spans] == ["Our policies include:", "• Human Rights policy",
                                                       "• Supplier Code of Conduct"]


def test_language_per_page_and_passage(pdfs):
    en, nl = segmented(pdfs["english"]), segmented(pdfs["dutch"])
    assert {p.lang for p in en.pages if p.text} == {"en"}
    assert {p.lang for p in nl.pages if p.text} == {"nl"}
    assert {p.lang for p in nl.passages} == {"nl"}


def test_passages_have_one_to_four_sentences_and_never_cross_blocks(pdfs):
    doc = segmented(pdfs["english"])
    assert doc.passages
    for p in doc.passages:
        assert 1 <= p.sentences <= 4
        page = doc.page(p.page)
        blocks = [b for b in page.blocks if b.start <= p.start and p.end <= b.end]
        assert len(blocks) == 1, "a passage lies inside exactly one block"
        assert blocks[0].kind != "heading"
    two_col = [p for p in doc.passages if p.page == 2]
    assert not any("Left column" in p.text and "Right column" in p.text for p in two_col)


def test_passage_provenance_points_at_the_quote(pdfs):
    doc = segmented(pdfs["english"])
    with pdfplumber.open(pdfs["english"]) as pdf:
        for p in doc.passages:
            page = doc.page(p.page)
            assert page.text[p.start:p.end] == p.text
            # independent check: the words pdfplumber finds inside the passage box are the passage's words
            words = pdf.pages[p.page - 1].crop((p.bbox.x0 - 1, p.bbox.top - 1, p.bbox.x1 + 1, p.bbox.bottom + 1),
                                                strict=False).extract_words()
            boxed = {re.sub(r"\W", "", w["text"]) for w in words}
            quoted = {re.sub(r"\W", "", w) for w in p.text.replace("|", " ").split()}
            assert quoted - {""} <= boxed | {"responsibility"}  # the repaired word is split in the PDF


def test_passages_get_the_heading_above_them(pdfs):
    doc = segmented(pdfs["english"])
    table = [p for p in doc.passages if p.kind == "table"]
    assert table and all(p.heading == "Where we produce" for p in table)
    assert doc.passages[0].heading == "Human rights due diligence"


def test_passage_ids_are_deterministic(pdfs):
    a, b = segmented(pdfs["english"]), segmented(pdfs["english"])
    assert [p.id for p in a.passages] == [p.id for p in b.passages]
    p = a.passages[0]
    assert p.id == passage_id(a.doc_id, p.page, p.start, p.end)
    assert len({p.id for p in a.passages}) == len(a.passages)
