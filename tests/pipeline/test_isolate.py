"""Parsing untrusted PDFs in a child process: limits become error records, results come back whole."""

from pipeline.document import ErrorCategory, Status
from pipeline.extract import extract
from pipeline.isolate import extract_isolated
from pipeline.pdfgen import build_pdf
from pipeline.screen import new_document
from tests import fuzz
from tests.conftest import SAMPLE_PDF


def test_isolated_extraction_equals_extraction_in_process():
    a = extract_isolated(new_document(SAMPLE_PDF), path=SAMPLE_PDF)
    b = extract(new_document(SAMPLE_PDF), path=SAMPLE_PDF)
    assert a.model_dump() == b.model_dump()


def test_time_limit_stops_the_parser():
    doc = extract_isolated(new_document(SAMPLE_PDF), path=SAMPLE_PDF, timeout=0.001)
    assert doc.status is Status.failed and doc.errors[0].category is ErrorCategory.timeout


def test_decompression_bomb_is_contained(tmp_path):
    path = tmp_path / "bomb.pdf"
    path.write_bytes(fuzz.bomb(1024))
    doc = extract_isolated(new_document(path), path=path, memory_mb=512, timeout=60)
    assert doc.status is Status.failed
    assert doc.errors[0].category in (ErrorCategory.crashed, ErrorCategory.memory_limit, ErrorCategory.timeout)


def test_thousands_of_pages_are_cut_and_recorded(tmp_path):
    path = tmp_path / "long.pdf"
    words = ["cotton", "audits", "wages", "unions", "water", "leather"]
    build_pdf({"pages": [{"blocks": [{"heading": f"Section {words[i % 6]} {i}"}, {"text": f"We report on {words[i % 6]} " * (i % 7 + 3)}]}
               for i in range(60)]}, path)
    doc = extract_isolated(new_document(path), path=path, max_pages=25)
    assert len(doc.pages) == 25 and doc.status is Status.partial
    assert doc.errors[0].category is ErrorCategory.too_many_pages and "60 pages" in doc.errors[0].message
