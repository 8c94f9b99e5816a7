"""The bundled sample reports: PDFs generated from the YAML specs in `corpora/samples/`.

`python -m pipeline.samples build` regenerates every `corpora/samples/<name>.pdf` from its
`<name>.yaml`; a test checks that the committed PDFs are exactly what the specs produce.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from pipeline.pdfgen import build_pdf
from pipeline.settings import REPO_ROOT

SAMPLES = REPO_ROOT / "corpora" / "samples"


def sample_specs() -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SAMPLES.glob("*.yaml"))}


def build_samples(folder: Path = SAMPLES) -> list[Path]:
    written = []
    for name, spec in sample_specs().items():
        path = folder / f"{name}.pdf"
        build_pdf(spec, path)
        written.append(path)
    return written


if __name__ == "__main__":
    if sys.argv[1:] != ["build"]:
        print("usage: python -m pipeline.samples build", file=sys.stderr)
        raise SystemExit(2)
    for p in build_samples():
        print(f"wrote {p}")
