"""HTML views: UI strings as data, escaping, page links, review badges, problems, Dutch labels.

Documents are built by hand and scored with a hand-made head set (no model); the browser tests in
tests/test_browser.py render the same views in Chromium.
"""

import re
from pathlib import Path

import pytest
import yaml

from pipeline.document import ErrorCategory, Page, Review, Stage
from pipeline.errors import ImvoError
from pipeline.report import write_outputs
from pipeline.score import score
from pipeline.taxonomy import load_taxonomy
from pipeline.views import LANGUAGES, arrow, load_ui, relative_href, scorecard_html
from tests.pipeline.test_classify_and_score import headset, make_doc, probs

HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(2)>', '</script><b>bold</b>',
           '{{ 7*7 }} {% raw %}', "' onmouseover='alert(3)"]


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def scored(taxonomy, rows, covenant="textile", **metadata):
    doc = make_doc(rows)
    for key, value in metadata.items():
        setattr(doc.source.metadata, key, value)
    doc.pages = [Page(number=i + 1, width=595, height=842, text=p.text, lang="en") for i, p in enumerate(doc.passages)]
    doc.source.page_count = len(doc.pages)
    return score(doc, covenant=taxonomy.covenant(covenant), heads=headset(), taxonomy_version=taxonomy.version)


def child_labour_rows(quote="We audited 112 factories for child labour."):
    return [(quote, probs(0.9, {"child_labour": 0.9}, {"track": 0.9}, substantiated=0.9)),
            ("We prohibit child labour.", probs(0.9, {"child_labour": 0.9}, {"embed_policy": 0.9}, substantiated=0.1)),
            ("We run a grievance mechanism.", probs(0.9, {}, {"remediate": 0.9}, substantiated=0.1))]


def test_every_ui_language_has_every_key():
    root = Path(__file__).resolve().parents[2] / "corpora" / "ui"
    keys = {lang: set(yaml.safe_load((root / f"{lang}.yaml").read_text(encoding="utf-8"))) for lang in LANGUAGES}
    assert sorted(p.stem for p in root.glob("*.yaml")) == sorted(LANGUAGES)
    for lang in LANGUAGES:
        assert keys[lang] == keys["en"], f"{lang}.yaml: missing {keys['en'] - keys[lang]}, extra {keys[lang] - keys['en']}"
        ui = load_ui(lang, root.parent)
        assert ui.lang == lang and all(isinstance(v, str) and v for v in ui.values())


def test_unknown_ui_language_is_a_clear_error(taxonomy):
    with pytest.raises(ImvoError, match="choose one of en, nl"):
        load_ui("de", taxonomy.root)


def test_scorecard_shows_metadata_heatmap_and_evidence_with_probabilities(taxonomy):
    doc = scored(taxonomy, child_labour_rows(), company="Acme", year=2023)
    html = scorecard_html(doc, taxonomy, pdf_href="acme.pdf")
    assert "<h1 id=\"company\">Acme 2023</h1>" in html
    assert "Agreement on Sustainable Garments and Textile" in html and doc.scorecard.covenant_version in html
    assert f"{doc.scorecard.completeness:.1f}" in html
    # one clickable cell per cell with evidence, linked to its evidence panel
    assert 'href="#ev-theme-child_labour-track"' in html and 'id="ev-theme-child_labour-track"' in html
    assert 'href="#ev-theme-child_labour-communicate"' not in html
    # the remediation passage names no theme: shown under the step, not scored
    assert 'id="ev-general-remediate"' in html
    panel = html.split('id="ev-theme-child_labour-track"')[1].split("</section>")[0]
    assert "We audited 112 factories for child labour." in panel
    assert 'href="acme.pdf#page=1"' in panel and "relevant 0.90" in panel and "substantiated 0.90" in panel
    assert "threshold" in html and "No problems recorded" in html


def test_scorecard_escapes_hostile_text(taxonomy):
    quote = "We audited 112 factories for child labour. " + " ".join(HOSTILE)
    doc = scored(taxonomy, child_labour_rows(quote), company=HOSTILE[0], title=HOSTILE[1])
    doc.source.filename = '"><img src=x onerror=alert(4)>.pdf'
    doc.add_error(Stage.extract, ErrorCategory.page_error, HOSTILE[2], page=2)
    html = scorecard_html(doc, taxonomy, pdf_href="x.pdf")
    assert html.count("<script") == 1  # only the page's own script
    assert "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # quote, company name and page title
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html and "&#34;&gt;&lt;img src=x onerror=alert(4)&gt;.pdf" in html
    assert "&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html  # in the quote and the error record
    assert "{{ 7*7 }} {% raw %}" in html  # text is never evaluated as a template
    assert "&#39; onmouseover=&#39;alert(3)" in html


def test_page_numbers_link_to_the_pdf_only_when_it_is_there(taxonomy, tmp_path):
    doc = scored(taxonomy, child_labour_rows())
    pdf = tmp_path / "reports" / "acme report #1.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF-1.4")
    doc.source.path, doc.source.filename = str(pdf), pdf.name
    _, beside = write_outputs(doc, tmp_path / "reports", taxonomy)
    assert 'href="acme%20report%20%231.pdf#page=1"' in beside.read_text()
    _, elsewhere = write_outputs(doc, tmp_path / "out", taxonomy)
    assert 'href="../reports/acme%20report%20%231.pdf#page=1"' in elsewhere.read_text()
    assert relative_href(tmp_path / "missing.pdf", tmp_path) is None
    pdf.unlink()
    _, gone = write_outputs(doc, tmp_path / "out", taxonomy)
    text = gone.read_text()
    assert "#page=" not in text and '<span class="page">page 1</span>' in text and "not found" in text


def test_reviewed_evidence_shows_the_verdict_and_is_counted(taxonomy):
    doc = scored(taxonomy, child_labour_rows())
    ev = doc.scorecard.cells["child_labour"]["track"].evidence[0]
    ev.review = Review(verdict="confirmed", reviewer="A. Analyst", date="2026-03-01")
    html = scorecard_html(doc, taxonomy)
    assert "confirmed by A. Analyst on 2026-03-01" in html
    assert "1 of 2 evidence passages reviewed by an analyst" in html


def test_problems_list_pages_without_text_layer_and_error_records(taxonomy):
    doc = scored(taxonomy, child_labour_rows())
    doc.pages[1].text_layer = False
    doc.add_error(Stage.extract, ErrorCategory.no_text_layer, "page 2 is a scanned image; run OCR", page=2)
    html = scorecard_html(doc, taxonomy)
    assert "Pages without a text layer" in html and re.search(r"run OCR on them to screen them\): 2<", html)
    assert "no_text_layer" in html and "page 2 is a scanned image; run OCR" in html
    assert "partly screened" in html


def test_bank_scorecard_has_the_activity_matrix(taxonomy):
    rows = [("We screen project finance clients for land rights risks.",
             probs(0.9, {"land_communities": 0.9}, {"identify_assess": 0.9}, banks={"project_finance": 0.9}))]
    html = scorecard_html(scored(taxonomy, rows, covenant="banking"), taxonomy)
    assert 'id="activities"' in html and "Project finance" in html
    assert 'href="#ev-activity-project_finance-identify_assess"' in html


def test_dutch_scorecard_uses_dutch_labels(taxonomy):
    html = scorecard_html(scored(taxonomy, child_labour_rows()), taxonomy, ui=load_ui("nl", taxonomy.root))
    assert '<html lang="nl">' in html
    assert "Kinderarbeid" in html and "Thema&#39;s × stappen van gepaste zorgvuldigheid" in html
    assert "Child labour" not in html and "onderbouwd" in html


def test_arrows_compare_with_the_previous_year():
    assert [arrow(2, 1), arrow(1, 2), arrow(1, 1), arrow(1, None)] == ["up", "down", "same", None]
    assert arrow(40.02, 40.0) == "same"
