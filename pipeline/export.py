"""`imvo export`: scorecards, cells and evidence as CSV, XLSX and JSON tables with stable columns.

Column ids, headers and meanings are data (`corpora/exports/columns.yaml`); CSV and JSON use the ids,
the XLSX workbook shows the readable headers, one sheet per table. The README table of columns is
rendered from the same file, and a test keeps the three in step.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field

from pipeline.records import Records
from pipeline.report import write_atomic
from pipeline.taxonomy import DEFAULT_CORPORA, Taxonomy

TABLES = ("scorecards", "cells", "evidence")
FORMATS = ("csv", "xlsx", "json")


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    header: str
    description: str


class ReviewSheetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: list[Column]
    verdicts: list[str]


class ColumnSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    tables: dict[str, list[Column]]
    review_sheet: ReviewSheetSpec

    def ids(self, table: str) -> list[str]:
        return [c.id for c in self.tables[table]]


@lru_cache(maxsize=4)
def load_columns(corpora: Path = DEFAULT_CORPORA) -> ColumnSpec:
    return ColumnSpec.model_validate(yaml.safe_load((Path(corpora) / "exports" / "columns.yaml").read_text("utf-8")))


def review_id(doc_sha256: str, passage_id: str) -> str:
    """Stable id of a passage across reruns of the same PDF: document hash prefix and passage id."""
    return f"{doc_sha256[:12]}-{passage_id}"


def _scorecard_rows(records: Records) -> list[dict]:
    reviewed: dict[str, int] = {}
    for p in records.passages:
        if p.get("review"):
            reviewed[p["screening_id"]] = reviewed.get(p["screening_id"], 0) + 1
    return [{
        "screening_id": s["screening_id"], "doc_sha256": s["doc_id"],
        "file": s.get("filename") or Path(s["source"] or "").name, "company": s["company"], "year": s["year"],
        "covenant": s["covenant"], "sector": s["sector"], "language": s["language"], "status": s["status"],
        "pages": s["pages"], "passages": s["passages"], "completeness": s["completeness"],
        "reviewed_passages": reviewed.get(s["screening_id"], 0), "model_version": s["model_version"],
        "taxonomy_version": s["taxonomy_version"], "encoder": s["encoder"], "pipeline_version": s["pipeline_version"],
        "reviews": s.get("reviews"), "screened_at": s["screened_at"].isoformat() if s.get("screened_at") else None,
    } for s in records.screenings]


def _name(taxonomy: Taxonomy, kind: str, label: str) -> str:
    labels = taxonomy.labels
    table = labels.bank_activities if kind == "activity" else labels.themes
    return table[label].name.en if label in table else label


def _cell_rows(records: Records, taxonomy: Taxonomy) -> tuple[list[dict], list[dict]]:
    by_id = {s["screening_id"]: s for s in records.screenings}
    position = {sid: i for i, sid in enumerate(by_id)}
    cells, evidence = [], []
    steps = taxonomy.labels.steps
    rows = [*taxonomy.labels.themes, *taxonomy.labels.bank_activities]

    def order(c: dict) -> tuple:  # screenings in order, then the taxonomy's order of themes and steps
        return (position[c["screening_id"]], c["kind"] != "theme",
                rows.index(c["row"]) if c["row"] in rows else len(rows), c["row"],
                list(steps).index(c["step"]) if c["step"] in steps else len(steps))

    for c in sorted(records.cells, key=order):
        s = by_id[c["screening_id"]]
        head = {"screening_id": c["screening_id"], "company": s["company"], "year": s["year"], "covenant": s["covenant"],
                "kind": c["kind"], "theme": c["row"]}
        cells.append({**head, "theme_name": _name(taxonomy, c["kind"], c["row"]), "step": c["step"],
                      "step_name": steps[c["step"]].name.en if c["step"] in steps else c["step"], "score": c["score"],
                      "n_evidence": c["n_evidence"], "n_substantiated": c["n_substantiated"],
                      "n_reviewed": sum(1 for e in c["evidence"] if (e.get("review") or {}).get("verdict"))})
        for rank, e in enumerate(c["evidence"], 1):
            review = e.get("review") or {}
            evidence.append({
                **head, "step": c["step"], "rank": rank, "review_id": review_id(s["doc_id"], e["passage_id"]),
                "passage_id": e["passage_id"], "page": e["page"], "quote": e["quote"],
                "relevant_probability": e["relevant"], "theme_probability": e.get("theme"),
                "step_probability": e["step"], "substantiated_probability": e["substantiated"],
                "is_substantiated": e["is_substantiated"], "needs_review": e["needs_review"],
                "review_verdict": review.get("verdict"), "reviewer": review.get("reviewer"),
                "review_date": review.get("date"),
            })
    return cells, evidence


def export_tables(records: Records, taxonomy: Taxonomy, spec: ColumnSpec | None = None) -> dict[str, pd.DataFrame]:
    """The three export tables, columns in the documented order."""
    spec = spec or load_columns()
    cells, evidence = _cell_rows(records, taxonomy)
    rows = {"scorecards": _scorecard_rows(records), "cells": cells, "evidence": evidence}
    return {name: pd.DataFrame(rows[name], columns=spec.ids(name)) for name in TABLES}


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path, stem: str = "imvo",
                 formats: tuple[str, ...] = FORMATS, spec: ColumnSpec | None = None) -> list[Path]:
    """CSV per table (`<stem>_<table>.csv`), one XLSX with a sheet per table and readable headers, one JSON."""
    spec = spec or load_columns()
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown export format(s) {sorted(unknown)}; choose from {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if "csv" in formats:
        for name, df in tables.items():
            written.append(out_dir / f"{stem}_{name}.csv")
            write_atomic(written[-1], df.to_csv(index=False))
    if "xlsx" in formats:
        written.append(out_dir / f"{stem}.xlsx")
        with pd.ExcelWriter(written[-1], engine="openpyxl") as xl:
            for name, df in tables.items():
                headers = {c.id: c.header for c in spec.tables[name]}
                df.rename(columns=headers).to_excel(xl, sheet_name=name, index=False)
                format_sheet(xl.sheets[name], df)
    if "json" in formats:
        written.append(out_dir / f"{stem}.json")
        payload = {"columns_version": spec.version,
                   **{name: json.loads(df.to_json(orient="records", force_ascii=False)) for name, df in tables.items()}}
        write_atomic(written[-1], json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
    return written


def format_sheet(ws, df: pd.DataFrame, wrap: tuple[str, ...] = ("quote", "text")) -> None:
    """Freeze the header, filter buttons, sensible widths; long text columns wrap."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "A2"
    if len(df.columns):
        ws.auto_filter.ref = ws.dimensions
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, col in enumerate(df.columns, 1):
        letter = get_column_letter(i)
        if col in wrap:
            ws.column_dimensions[letter].width = 80
            for cell in ws[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        else:
            longest = max([len(str(ws.cell(1, i).value))] + [len(str(v)) for v in df[col].head(200)])
            ws.column_dimensions[letter].width = min(max(10, longest + 2), 40)


def columns_markdown(spec: ColumnSpec | None = None) -> str:
    """The README section that documents every export and review-sheet column."""
    spec = spec or load_columns()
    parts = []
    for name, cols in [*spec.tables.items(), ("review sheet", spec.review_sheet.columns)]:
        parts.append(f"**{name}**\n\n| column | XLSX header | meaning |\n|---|---|---|")
        parts += [f"| `{c.id}` | {c.header} | {c.description} |" for c in cols]
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


README_START, README_END = "<!-- columns:start -->", "<!-- columns:end -->"


def readme_columns(readme_text: str) -> str | None:
    """The columns section currently in the README, or None when the markers are missing."""
    if README_START not in readme_text or README_END not in readme_text:
        return None
    return readme_text.split(README_START, 1)[1].split(README_END, 1)[0].strip("\n") + "\n"


def update_readme(readme: Path, spec: ColumnSpec | None = None) -> None:
    text = readme.read_text(encoding="utf-8")
    start, rest = text.split(README_START, 1)
    _, end = rest.split(README_END, 1)
    write_atomic(readme, f"{start}{README_START}\n{columns_markdown(spec)}{README_END}{end}")
