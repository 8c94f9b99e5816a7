"""Hostile input: text from PDFs is escaped in HTML; nothing is unpickled from disk."""

import ast
from pathlib import Path

from pipeline.pdfgen import build_pdf
from pipeline.report import scorecard_html
from pipeline.screen import screen_pdf

REPO = Path(__file__).resolve().parent.parent


def test_script_in_a_pdf_renders_as_text(tmp_path, resources):
    hostile = '<script>alert("x")</script> <img src=x onerror=alert(1)> Child labour was found at "two" sites & fixed.'
    path = tmp_path / "hostile.pdf"
    build_pdf({"title": "<b>title</b>", "pages": [{"blocks": [{"heading": "<i>Human rights</i>"}, {"text": hostile * 3}]}]}, path)
    doc = screen_pdf(path, resources=resources, covenant="textile", company="<script>evil()</script>")
    html = scorecard_html(doc, resources.taxonomy, pdf_href="x.pdf")
    assert "<script>" not in html and "<img" not in html and "<i>Human" not in html
    assert "&lt;script&gt;" in html


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
