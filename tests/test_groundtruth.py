"""End to end on the bundled sample: extraction and segmentation compared with checked-in output.

Run `pytest tests/test_groundtruth.py --regen` after an intended change, and review the diff.
"""

import json

from pipeline.extract import extract
from pipeline.screen import new_document
from pipeline.segment import segment
from tests.conftest import REPO, SAMPLE_PDF

EXPECTED = REPO / "tests" / "data" / "groundtruth" / "noordkust_mode_2023.json"


def snapshot() -> dict:
    doc = segment(extract(new_document(SAMPLE_PDF), path=SAMPLE_PDF))
    return {
        "status": doc.status.value,
        "pages": [{"number": p.number, "lang": p.lang, "text": p.text,
                   "blocks": [[b.kind, b.start, b.end] for b in p.blocks],
                   "removed": [[r.reason, r.text] for r in p.removed]} for p in doc.pages],
        "passages": [{"id": p.id, "page": p.page, "start": p.start, "end": p.end, "kind": p.kind,
                      "heading": p.heading, "lang": p.lang, "sentences": p.sentences} for p in doc.passages],
    }


def test_sample_extraction_and_segmentation_match_groundtruth(regen):
    got = snapshot()
    if regen or not EXPECTED.exists():
        EXPECTED.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(EXPECTED.read_text(encoding="utf-8"))
