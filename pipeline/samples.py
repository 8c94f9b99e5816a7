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


def synthetic_report(company: str, year: int, *, sections: int = 5, pages: int = 1) -> dict:
    """A report in the style of the bundled sample, for batch and benchmark tests.

    `sections` chooses how much of the sample's due-diligence content the report discloses (more
    sections, more cells), `pages` repeats the content to make a longer document.
    """
    spec = yaml.safe_load((SAMPLES / "noordkust_mode_2023.yaml").read_text(encoding="utf-8"))
    body = spec["pages"][: max(1, min(sections, len(spec["pages"])))]
    repeated = []
    for k in range(pages):
        for page in body:
            blocks = [dict(b) for b in page["blocks"]]
            for b in blocks:
                if "text" in b:
                    b["text"] = b["text"].replace("Noordkust Mode", company).replace("2023", str(year)) + (
                        f" (part {k + 1})" if pages > 1 else "")
            repeated.append({**page, "blocks": blocks})
    return {"title": f"{company} report {year}", "header": f"{company} | Report {year}", "footer": "Page {page}",
            "pages": repeated}


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
