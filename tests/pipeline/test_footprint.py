"""Countries, commodities, schemes, suppliers and sites; high-risk pairs without due diligence."""

import pytest

from pipeline.classify import label_rows
from pipeline.document import BBox, Document, Page, Passage, Source, Versions
from pipeline.extract import extract
from pipeline.footprint import find_entities, footprint, load_gazetteer
from pipeline.pdfgen import build_pdf
from pipeline.screen import new_document
from pipeline.segment import segment
from tests.conftest import real_report
from tests.pipeline.test_classify_and_score import headset, probs


def hits(text):
    return [(label, ident, text[s:e]) for label, ident, s, e in find_entities([text])[0]]


@pytest.mark.parametrize("text, expected", [
    ("Our Bangladeshi and Indian suppliers source organic cotton certified by GOTS.",
     [("COUNTRY", "BD", "Bangladeshi"), ("COUNTRY", "IN", "Indian"), ("COMMODITY", "cotton", "organic cotton"),
      ("SCHEME", "GOTS", "GOTS")]),
    ("Wij kopen Indonesische palmolie met RSPO-certificaat en katoen uit Turkije.",
     [("COUNTRY", "ID", "Indonesische"), ("COMMODITY", "palm oil", "palmolie"), ("SCHEME", "RSPO", "RSPO"),
      ("COMMODITY", "cotton", "katoen"), ("COUNTRY", "TR", "Turkije")]),
    ("Spinning mills in Tamil Nadu and cobalt from the DRC.",
     [("COUNTRY", "IN", "Tamil Nadu"), ("COMMODITY", "cobalt", "cobalt"), ("COUNTRY", "CD", "DRC")]),
])
def test_entities_in_both_languages_with_exact_spans(text, expected):
    assert hits(text) == expected


def test_words_that_are_also_country_names_need_their_capital():
    assert hits("We served turkey and china plates.") == []
    assert hits("Factories in Turkey and China.") == [("COUNTRY", "TR", "Turkey"), ("COUNTRY", "CN", "China")]


def test_gazetteer_pairs_name_known_countries_and_commodities():
    gaz = load_gazetteer()
    assert ("UZ", "cotton", ("forced_labour", "child_labour")) in gaz.pairs
    assert len(gaz.countries) > 240 and "palm oil" in gaz.commodities and "RSPO" in gaz.schemes


def doc_with(texts_and_probs):
    doc = Document(doc_id="f" * 64, source=Source(path="x.pdf", filename="x.pdf", sha256="f" * 64, size_bytes=1),
                   versions=Versions(pipeline="test"))
    text = "\n\n".join(t for t, _ in texts_and_probs)
    doc.pages.append(Page(number=1, width=595, height=842, text=text))
    pos = 0
    for i, (t, p) in enumerate(texts_and_probs):
        passage = Passage(id=f"p{i}", page=1, start=pos, end=pos + len(t), text=t, kind="paragraph", column=0,
                          bbox=BBox(x0=0, top=0, x1=1, bottom=1))
        [passage.labels] = label_rows(p, headset())
        doc.passages.append(passage)
        pos += len(t) + 2
    return doc


def test_high_risk_pair_without_due_diligence_is_a_gap():
    doc = footprint(doc_with([("We buy cotton yarn from spinners in Uzbekistan.", probs(0.9, {"raw_materials": 0.9}, {}))]))
    [gap] = doc.footprint.gaps
    assert (gap.country, gap.commodity, gap.missing) == ("UZ", "cotton", ["forced_labour", "child_labour"])
    for e in doc.passages[0].entities:
        assert doc.pages[0].text[e.start:e.end] == e.text
    row = next(r for r in doc.footprint.entities if r.id == "UZ")
    assert (row.type, row.name, row.mentions, row.pages) == ("country", "Uzbekistan", 1, [1])
    assert row.themes == ["raw_materials"]


def test_due_diligence_on_the_risk_closes_the_gap():
    doc = footprint(doc_with([
        ("We buy cotton yarn from spinners in Uzbekistan.", probs(0.9, {"raw_materials": 0.9}, {})),
        ("Third-party monitors assessed forced and child labour risks at every spinning mill.",
         probs(0.9, {"forced_labour": 0.9, "child_labour": 0.9}, {"identify_assess": 0.9})),
    ]))
    assert doc.footprint.gaps == []


def test_supplier_lists_in_tables_give_suppliers_and_sites(tmp_path):
    path = tmp_path / "list.pdf"
    rows = [["Name", "Supplier", "Country"], ["Kilang Sawit Utara", "Sawit Holdings", "Malaysia"],
            ["Pabrik Minyak Jaya", "Jaya Agro", "Indonesia"], ["Mill Three", "Sawit Holdings", "Malaysia"]]
    build_pdf({"title": "Palm oil mill list", "pages": [{"blocks": [{"heading": "Palm oil mill list 2023"},
                                                                      {"table": {"ruled": True, "rows": rows}}]}]}, path)
    doc = segment(extract(new_document(path), path=path))
    footprint(doc)
    by_type = {}
    for r in doc.footprint.entities:
        by_type.setdefault(r.type, {})[r.name] = r.mentions
    assert by_type["site"] == {"Kilang Sawit Utara": 1, "Pabrik Minyak Jaya": 1, "Mill Three": 1}
    assert by_type["supplier"] == {"Sawit Holdings": 2, "Jaya Agro": 1}
    assert {"Malaysia", "Indonesia"} <= set(by_type["country"])
    assert {(g.country, g.commodity) for g in doc.footprint.gaps} == {("MY", "palm oil"), ("ID", "palm oil")}


@pytest.mark.real_data
def test_frieslandcampina_mill_list_yields_palm_oil_and_its_countries(resources):
    from pipeline.screen import screen_pdf

    path = real_report("frieslandcampina_2022_palm_oil_mill_list_en.pdf")
    doc = screen_pdf(path, resources=resources)
    rows = {(r.type, r.id): r for r in doc.footprint.entities}
    assert ("commodity", "palm oil") in rows
    assert {("country", c) for c in ("MY", "ID", "CO", "GT", "HN")} <= set(rows)
    assert sum(r.type == "site" for r in doc.footprint.entities) > 500
    assert {("MY", "palm oil"), ("ID", "palm oil")} <= {(g.country, g.commodity) for g in doc.footprint.gaps}
