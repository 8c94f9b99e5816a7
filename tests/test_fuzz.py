"""A fixed set of mutated PDFs through screening: results or error records, never an exception."""

import random

from pipeline.isolate import failure_record
from pipeline.document import ErrorCategory
from tests import fuzz


def test_mutated_pdfs_end_as_results_or_error_records(tmp_path, resources):
    stats = fuzz.run(40, seed=11, resources=resources, folder=tmp_path, workers=2)
    assert stats["exceptions"] == []
    assert sum(stats["statuses"].values()) == 40
    assert stats["hangs"] == 0
    assert {"failed", "ok"} <= set(stats["statuses"])  # the mutations really break some files


def test_every_mutator_changes_the_file():
    rng = random.Random(3)
    donors = [b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Length 10 >>\nendobj\nxref\n0 1\n0000000000 65535 f \n"
              b"trailer\n<< /Size 1 /Root 1 0 R >>\nstartxref\n40\n%%EOF\n" * 3]
    seen = set()
    for _ in range(200):
        kind, data = fuzz.mutate(donors[0], rng, donors)
        seen.add(kind)
    assert seen == set(fuzz.MUTATORS)


def test_child_outcomes_map_to_error_categories():
    assert failure_record(None, None, timeout=5, memory_mb=100)[0] is ErrorCategory.timeout
    assert failure_record(b"mem", 0, timeout=5, memory_mb=100)[0] is ErrorCategory.memory_limit
    category, message = failure_record(None, -11, timeout=5, memory_mb=100)
    assert category is ErrorCategory.crashed and "SIGSEGV" in message
    assert "100 MB" in failure_record(None, -6, timeout=5, memory_mb=100)[1]
    category, message = failure_record(b"excTypeError: boom", 0, timeout=5, memory_mb=100)
    assert category is ErrorCategory.corrupt and "TypeError: boom" in message
