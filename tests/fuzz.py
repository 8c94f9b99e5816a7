"""Fuzzing the screening of PDFs: mutate valid PDFs and check that every case ends as a result or an
error record, never as an exception in the screening process or a hang.

    .venv/bin/python -m tests.fuzz --cases 10000 [--seed 1] [--timeout 30] [--report fuzz.md]

The small fixed set in `tests/test_fuzz.py` runs in CI; the long run is a script.
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import tempfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.pdfgen import build_pdf

MUTATORS = ("bit_flips", "truncate", "splice", "duplicate_chunk", "corrupt_dictionary", "corrupt_xref",
            "corrupt_stream_length", "zero_run")
_DICT_KEYS = [b"/Length", b"/Count", b"/Kids", b"/Parent", b"/Contents", b"/Filter", b"/Font", b"/MediaBox",
              b"/Root", b"/Size", b"/Type", b"/Resources", b"/Width", b"/Height", b"/BitsPerComponent"]
_BAD_VALUES = [b"-1", b"0", b"99999999999", b"1 0 R", b"999 0 R", b"[]", b"<<>>", b"/FlateDecode", b"null",
               b"(\xff\xfe)", b"[0 0 -5 1e308]", b"/ASCII85Decode", b"true"]


def seeds(folder: Path) -> list[bytes]:
    """Valid PDFs to mutate: the fixtures, plain and compressed, and the bundled sample."""
    from tests import fixtures

    out = []
    for spec in (fixtures.ENGLISH, fixtures.DUTCH, fixtures.WITH_SCAN):
        out.append(build_pdf(spec))
        out.append(_compressed(spec, folder))
    sample = Path(__file__).resolve().parent.parent / "corpora" / "samples" / "noordkust_mode_2023.pdf"
    out.append(sample.read_bytes())
    return out


def _compressed(spec: dict, folder: Path) -> bytes:
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    for page in spec["pages"]:
        y = 800
        for block in page.get("blocks", []):
            for value in block.values():
                if isinstance(value, str):
                    c.drawString(50, y, value[:90])
                    y -= 14
        c.showPage()
    c.save()
    return buf.getvalue()


def mutate(data: bytes, rng: random.Random, donors: list[bytes]) -> tuple[str, bytes]:
    kind = rng.choice(MUTATORS)
    b = bytearray(data)
    if kind == "bit_flips":
        for _ in range(rng.randint(1, 64)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        b = b[: rng.randrange(1, len(b))]
    elif kind == "splice":
        donor = rng.choice(donors)
        i, j = rng.randrange(len(b)), rng.randrange(len(donor))
        b = b[:i] + donor[j: j + rng.randint(16, 4096)] + b[i + rng.randint(0, 4096):]
    elif kind == "duplicate_chunk":
        i = rng.randrange(len(b))
        chunk = b[i: i + rng.randint(1, 8192)]
        j = rng.randrange(len(b))
        b = b[:j] + chunk * rng.randint(1, 50) + b[j:]
    elif kind == "corrupt_dictionary":
        for _ in range(rng.randint(1, 6)):
            key = rng.choice(_DICT_KEYS)
            spots = [m.start() for m in re.finditer(re.escape(key), bytes(b))]
            if spots:
                at = rng.choice(spots) + len(key)
                end = at + rng.randint(1, 12)
                b = b[:at] + b" " + rng.choice(_BAD_VALUES) + b" " + b[end:]
    elif kind == "corrupt_xref":
        m = re.search(rb"xref\s+\d+ \d+\s+", bytes(b))
        if m:
            for _ in range(rng.randint(1, 20)):
                i = rng.randrange(m.end(), min(len(b), m.end() + 2000))
                b[i] = rng.choice(b"0123456789 fn\n")
        else:
            b = b.replace(b"startxref", b"startxref\n" + str(rng.randrange(10**9)).encode(), 1)
    elif kind == "corrupt_stream_length":
        b = re.sub(rb"/Length (\d+)", lambda mm: b"/Length " + str(rng.choice(
            [0, 1, int(mm.group(1)) * 1000, 2**31 - 1, rng.randrange(100000)])).encode(), bytes(b), count=rng.randint(1, 3))
        b = bytearray(b)
    elif kind == "zero_run":
        i = rng.randrange(len(b))
        n = rng.randint(1, 20000)
        b[i: i + n] = bytes(min(n, len(b) - i))
    return kind, bytes(b)


def bomb(expanded_mb: int = 2048) -> bytes:
    """A one-page PDF whose content stream inflates to `expanded_mb` MB."""
    comp = zlib.compressobj(9)
    stream = b"".join(comp.compress(b" " * (1 << 20)) for _ in range(expanded_mb)) + comp.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def run(cases: int, *, seed: int, resources, folder: Path, timeout: float = 30, workers: int = 2,
        keep_failures: Path | None = None) -> dict:
    """Screen `cases` mutated PDFs; returns counts of outcomes, error categories, crashes and hangs."""
    from pipeline.screen import screen_pdf

    rng = random.Random(seed)
    donors = seeds(folder)
    jobs = []
    for k in range(cases):
        kind, data = mutate(rng.choice(donors), rng, donors)
        jobs.append((k, kind, data))

    def one(job):
        k, kind, data = job
        path = folder / f"case{k:05d}.pdf"
        path.write_bytes(data)
        start = time.perf_counter()
        try:
            doc = screen_pdf(path, resources=resources)
            outcome = ("status", doc.status.value, [e.category.value for e in doc.errors])
        except Exception as e:  # a crash of the screening process itself: what must never happen
            outcome = ("exception", f"{type(e).__name__}: {e}", [])
            if keep_failures:
                keep_failures.mkdir(parents=True, exist_ok=True)
                (keep_failures / path.name).write_bytes(data)
        finally:
            seconds = time.perf_counter() - start
            path.unlink(missing_ok=True)
        return kind, outcome, seconds

    stats = {"cases": cases, "statuses": collections.Counter(), "categories": collections.Counter(),
             "mutators": collections.Counter(), "exceptions": [], "hangs": 0, "parser_crashes": 0,
             "max_seconds": 0.0}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for kind, (what, value, categories), seconds in pool.map(one, jobs):
            stats["mutators"][kind] += 1
            stats["max_seconds"] = max(stats["max_seconds"], round(seconds, 2))
            if what == "exception":
                stats["exceptions"].append(value)
                continue
            stats["statuses"][value] += 1
            stats["categories"].update(categories)
            stats["hangs"] += categories.count("timeout")
            stats["parser_crashes"] += categories.count("crashed")
    return stats


def report(stats: dict, seconds: float) -> str:
    lines = [f"# Fuzz run: {stats['cases']} cases in {seconds:.0f} s", "",
             f"- exceptions in the screening process (crashes): **{len(stats['exceptions'])}**",
             f"- hangs (stopped by the per-document time limit): **{stats['hangs']}**",
             f"- parser crashes contained by the isolation (error records): {stats['parser_crashes']}",
             f"- slowest case: {stats['max_seconds']} s", "",
             "| status | cases |", "|---|---|"] + [f"| {k} | {v} |" for k, v in stats["statuses"].most_common()]
    lines += ["", "| error category | records |", "|---|---|"] + [f"| {k} | {v} |" for k, v in stats["categories"].most_common()]
    lines += ["", "| mutator | cases |", "|---|---|"] + [f"| {k} | {v} |" for k, v in sorted(stats["mutators"].items())]
    if stats["exceptions"]:
        lines += ["", "Exceptions:", ""] + [f"- {e}" for e in collections.Counter(stats["exceptions"])]
    return "\n".join(lines) + "\n"


def main() -> None:
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--keep", type=Path, help="folder to keep inputs that raised")
    args = parser.parse_args()
    from pipeline.screen import load_resources
    from pipeline.settings import Settings

    resources = load_resources(Settings(extract_timeout=args.timeout, extract_memory_mb=2048))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        stats = run(args.cases, seed=args.seed, resources=resources, folder=Path(tmp), timeout=args.timeout,
                    workers=args.workers, keep_failures=args.keep)
    text = report(stats, time.perf_counter() - start)
    print(text)
    if args.report:
        args.report.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
