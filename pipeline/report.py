"""Outputs of a screened document: the JSON file, a self-contained HTML scorecard, a console matrix.

Files are written atomically (temporary file, then rename), so a crash never leaves half a
scorecard behind. Every piece of text that came from a PDF is HTML-escaped.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

from pipeline.document import Document
from pipeline.taxonomy import Taxonomy

SCORE_LABEL = {0: "not disclosed", 1: "mentioned", 2: "substantiated"}
SCORE_COLOUR = {0: "#f3f4f6", 1: "#fde68a", 2: "#34d399"}


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


def write_outputs(doc: Document, out_dir: Path, taxonomy: Taxonomy) -> tuple[Path, Path]:
    """Write `<stem>.json` and `<stem>.html` into `out_dir`; returns both paths."""
    stem = Path(doc.source.filename).stem
    json_path, html_path = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    write_atomic(json_path, document_json(doc))
    write_atomic(html_path, scorecard_html(doc, taxonomy, pdf_href=os.path.relpath(doc.source.path, out_dir)))
    return json_path, html_path


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def scorecard_html(doc: Document, taxonomy: Taxonomy, pdf_href: str | None = None) -> str:
    """One self-contained page (no scripts from the network): heatmap, evidence per cell, errors."""
    sc = doc.scorecard
    labels = taxonomy.labels
    meta = doc.source.metadata
    head = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>IMVO scorecard: {_e(meta.company or doc.source.filename)}</title>"
        "<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}"
        "table.m{border-collapse:collapse}table.m td,table.m th{border:1px solid #ccc;padding:4px 8px;text-align:center}"
        "table.m th.t{text-align:left}.legend span{display:inline-block;padding:2px 8px;margin-right:6px}"
        "details{margin:.3em 0 .3em 1em}blockquote{margin:.3em 0 .6em 1em;padding-left:.6em;border-left:3px solid #ccc}"
        ".review{color:#b45309;font-weight:600}.err{color:#b91c1c}</style></head><body>"
    )
    parts = [head, f"<h1>{_e(meta.company or doc.source.filename)}{' ' + _e(meta.year) if meta.year else ''}</h1>"]
    parts.append(
        f"<p>File <code>{_e(doc.source.filename)}</code>, {doc.source.page_count or 0} pages, "
        f"sha256 <code>{_e(doc.doc_id[:16])}…</code>, status <b>{_e(doc.status.value)}</b>.</p>"
    )
    if sc is not None:
        cov = taxonomy.covenant(sc.covenant)
        parts.append(f"<p>Covenant: <b>{_e(cov.name.en)}</b> (rubric {_e(sc.covenant_version)}). "
                     f"Completeness <b>{sc.completeness:.1f} / 100</b>. Model {_e(doc.versions.model)}, "
                     f"encoder {_e(doc.versions.encoder)}, taxonomy {_e(doc.versions.taxonomy)}.</p>")
        parts.append("<p class='legend'>" + "".join(
            f"<span style='background:{SCORE_COLOUR[v]}'>{v} {SCORE_LABEL[v]}</span>" for v in (0, 1, 2)) + "</p>")
        parts.append("<table class='m'><tr><th></th>" + "".join(
            f"<th>{_e(labels.steps[s].name.en)}</th>" for s in sc.steps_scored) + "<th>theme</th></tr>")
        for t in sc.themes_scored:
            row = [f"<tr><th class='t'>{_e(labels.themes[t].name.en)}</th>"]
            for s in sc.steps_scored:
                c = sc.cells[t][s]
                row.append(f"<td style='background:{SCORE_COLOUR[c.score]}' title='{c.n_evidence} passages'>"
                           f"<a href='#{t}--{s}'>{c.score}</a></td>")
            row.append(f"<td><b>{sc.themes[t].score}</b></td></tr>")
            parts.append("".join(row))
        parts.append("<tr><th class='t'>step</th>" + "".join(
            f"<td><b>{sc.steps[s].score}</b></td>" for s in sc.steps_scored) + "<td></td></tr></table>")
        parts.append("<h2>Evidence</h2>")
        for t in sc.themes_scored:
            for s in sc.steps_scored:
                c = sc.cells[t][s]
                if not c.evidence:
                    continue
                parts.append(f"<details id='{t}--{s}'><summary>{_e(labels.themes[t].name.en)} × "
                             f"{_e(labels.steps[s].name.en)}: score {c.score}, {c.n_evidence} passages "
                             f"({c.n_substantiated} substantiated)</summary>")
                for ev in c.evidence:
                    link = f"<a href='{_e(pdf_href)}#page={ev.page}'>page {ev.page}</a>" if pdf_href else f"page {ev.page}"
                    flag = " <span class='review'>needs review</span>" if ev.needs_review else ""
                    parts.append(
                        f"<blockquote>{_e(ev.quote)}<br><small>{link}; relevant {ev.relevant:.2f}, theme "
                        f"{ev.theme:.2f}, step {ev.step:.2f}, substantiated {ev.substantiated:.2f}{flag}</small></blockquote>")
                parts.append("</details>")
    fp = doc.footprint
    if fp is not None and (fp.entities or fp.gaps):
        parts.append("<h2>Supply-chain footprint</h2>")
        if fp.gaps:
            parts.append("<p><b>Gaps</b>: high-risk country/commodity pairs the report names without due diligence "
                         f"on the risk ({_e(fp.source)}).</p><ul>" + "".join(
                             f"<li class='err'>{_e(g.message)} (pages {_e(', '.join(map(str, g.pages[:10])))})</li>"
                             for g in fp.gaps) + "</ul>")
        parts.append("<table class='m'><tr><th>type</th><th>name</th><th>mentions</th><th>pages</th><th>themes</th>"
                     "<th>steps</th></tr>")
        shown = [e for e in fp.entities if e.type not in ("site", "supplier")][:200]
        shown += [e for e in fp.entities if e.type in ("site", "supplier")][:100]
        for e in shown:
            pages = ", ".join(map(str, e.pages[:12])) + (" …" if len(e.pages) > 12 else "")
            parts.append(f"<tr><td>{_e(e.type)}</td><td class='t'>{_e(e.name)}</td><td>{e.mentions}</td>"
                         f"<td>{_e(pages)}</td><td>{_e(', '.join(e.themes))}</td><td>{_e(', '.join(e.steps))}</td></tr>")
        parts.append("</table>")
        hidden = len(fp.entities) - len(shown)
        if hidden > 0:
            parts.append(f"<p>{hidden} more suppliers and sites are in the JSON output.</p>")
    if doc.errors:
        parts.append("<h2>Problems</h2><ul>" + "".join(f"<li class='err'>{_e(e.one_line())}</li>" for e in doc.errors) + "</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)


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
