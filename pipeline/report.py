"""Outputs of a screened document: the JSON file, a self-contained HTML scorecard, a console matrix.

Files are written atomically (temporary file, then rename), so a crash never leaves half a
scorecard behind. The HTML is rendered by `pipeline.views`, which escapes every piece of text that
came from a PDF.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipeline.document import Document
from pipeline.taxonomy import Taxonomy
from pipeline.views import load_ui, relative_href, scorecard_html


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def document_json(doc: Document) -> str:
    return doc.model_dump_json(indent=1)


def write_outputs(doc: Document, out_dir: Path, taxonomy: Taxonomy, *, lang: str = "en",
                  stem: str | None = None) -> tuple[Path, Path]:
    """Write `<stem>.json` and `<stem>.html` (UI language `lang`; `stem` defaults to the PDF's) into
    `out_dir`; returns both paths.

    The scorecard's page numbers link to the source PDF by a relative path when the PDF exists (see
    `pipeline.views.relative_href`), and are plain numbers otherwise.
    """
    out_dir = Path(out_dir)
    stem = stem or Path(doc.source.filename).stem
    json_path, html_path = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    page = scorecard_html(doc, taxonomy, ui=load_ui(lang, taxonomy.root), pdf_href=relative_href(doc.source.path, out_dir))
    write_atomic(json_path, document_json(doc))
    write_atomic(html_path, page)
    return json_path, html_path


def matrix_rows(doc: Document, taxonomy: Taxonomy) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the theme x step matrix, for the console."""
    sc = doc.scorecard
    short = {"embed_policy": "embed", "identify_assess": "identify", "prevent_mitigate": "prevent",
             "track": "track", "communicate": "communicate", "remediate": "remediate"}
    header = ["theme"] + [short.get(s, s) for s in sc.steps_scored] + ["best"]
    rows = [[t] + [str(sc.cells[t][s].score) for s in sc.steps_scored] + [str(sc.themes[t].score)]
            for t in sc.themes_scored]
    rows.append(["step best"] + [str(sc.steps[s].score) for s in sc.steps_scored] + [""])
    return header, rows
