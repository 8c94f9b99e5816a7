"""Hostile input: text from PDFs is escaped in HTML; nothing is unpickled from disk."""

import ast
from pathlib import Path

from pipeline.report import scorecard_html
from pipeline.screen import screen_pdf
from tests.fixtures import HOSTILE_PAYLOAD

REPO = Path(__file__).resolve().parent.parent


def test_script_in_a_pdf_renders_as_text(pdfs, resources):
    doc = screen_pdf(pdfs["hostile"], resources=resources, covenant="textile", company="<script>evil()</script>")
    quotes = [e.quote for row in doc.scorecard.cells.values() for c in row.values() for e in c.evidence]
    assert any(HOSTILE_PAYLOAD in q for q in quotes), "the hostile passages must be evidence for this test to mean anything"
    html = scorecard_html(doc, resources.taxonomy, pdf_href="x.pdf")
    assert html.count("<script") == 1  # the page's own script, nothing from the PDF
    assert "<script>evil" not in html and "<img" not in html and "<i>Human" not in html
    assert "&lt;script&gt;evil()&lt;/script&gt;" in html
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &#34;&gt;&lt;img src=x onerror=alert(2)&gt; &lt;/script&gt; {{ 7*7 }}"
    assert escaped in html.split('id="evidence"')[1]


def test_no_code_loads_pickles_from_disk():
    offenders = []
    for path in [*REPO.glob("pipeline/*.py"), *REPO.glob("flows/*.py")]:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("load", "loads"):
                if getattr(node.func.value, "id", "") in ("pickle", "joblib", "cloudpickle", "dill"):
                    offenders.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.keyword) and node.arg == "allow_pickle" and getattr(node.value, "value", None) is True:
                offenders.append(f"{path.name}:{node.value.lineno} allow_pickle=True")
        if "torch.load(" in text:
            offenders.append(f"{path.name}: torch.load")
    assert offenders == []
