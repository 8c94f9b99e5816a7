"""Benchmark tables from the results store: ranking, theme x company, step x company, year over year.

For each company the benchmark of (covenant, year) uses one screening: of those that did not fail,
the newest. A cell's change since the previous year is `improved`/`declined` when its score moved,
`new_evidence` when the score held but the report quotes evidence the previous one did not, and
`unchanged` otherwise.

The HTML benchmark page links each company to its scorecard: the store records where a batch wrote
each screening's scorecard (`imvo batch --out DIR`), and the link is relative to the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipeline.report import write_atomic
from pipeline.store import Store, screening_key
from pipeline.taxonomy import Taxonomy
from pipeline.views import benchmark_html, load_ui, relative_href

FORMATS = ("csv", "xlsx", "parquet")


def _pick(rows: list[dict]) -> dict[str, dict]:
    """One screening per company: not failed, newest first."""
    best: dict[str, dict] = {}
    for r in rows:
        if r["status"] == "failed" or not r["company"]:
            continue
        cur = best.get(r["company"])
        if cur is None or r["screened_at"] > cur["screened_at"]:
            best[r["company"]] = r
    return best


def _norm(quote: str) -> str:
    return re.sub(r"\W+", " ", quote.lower()).strip()


def compare_cells(previous: list[dict], current: list[dict]) -> list[dict]:
    """Per (row, step): previous and current score and the kind of change."""
    prev = {(c["row"], c["step"]): c for c in previous}
    out = []
    for c in current:
        p = prev.get((c["row"], c["step"]))
        before = p["score"] if p else 0
        if c["score"] > before:
            change = "improved"
        elif c["score"] < before:
            change = "declined"
        else:
            old = {_norm(e["quote"]) for e in (p["evidence"] if p else [])}
            change = "new_evidence" if c["score"] > 0 and any(_norm(e["quote"]) not in old for e in c["evidence"]) else "unchanged"
        out.append({"row": c["row"], "step": c["step"], "previous_score": before, "score": c["score"], "change": change})
    return out


def benchmark_tables(store: Store, covenant: str, year: int) -> dict[str, pd.DataFrame]:
    """All benchmark tables for one covenant and year (previous year compared when present)."""
    current = _pick(store.screenings(covenant=covenant, years=[year]))
    previous = _pick(store.screenings(covenant=covenant, years=[year - 1]))
    if not current:
        raise ValueError(f"no screened reports for covenant {covenant!r} and year {year} in the store")
    cur_cells = store.cells([r["screening_id"] for r in current.values()])
    prev_cells = store.cells([r["screening_id"] for r in previous.values()])
    by_screening: dict[str, list[dict]] = {}
    for c in cur_cells + prev_cells:
        by_screening.setdefault(c["screening_id"], []).append(c)

    ranking = pd.DataFrame([{
        "company": company, "year": year, "covenant": covenant, "completeness": r["completeness"],
        "previous_completeness": previous[company]["completeness"] if company in previous else None,
        "status": r["status"], "document": r["source"], "doc_id": r["doc_id"],
        "model_version": r["model_version"], "taxonomy_version": r["taxonomy_version"],
    } for company, r in current.items()])
    ranking["completeness_change"] = ranking["completeness"] - ranking["previous_completeness"]
    ranking = ranking.sort_values(["completeness", "company"], ascending=[False, True]).reset_index(drop=True)
    ranking.insert(0, "rank", ranking["completeness"].rank(method="min", ascending=False).astype(int))

    cells = pd.DataFrame([{**{k: c[k] for k in ("row", "step", "score", "n_evidence", "n_substantiated")},
                           "company": company} for company, r in current.items()
                          for c in by_screening.get(r["screening_id"], [])])
    themes = cells.groupby(["company", "row"])["score"].max().unstack("row").reindex(ranking["company"])
    steps = cells.groupby(["company", "step"])["score"].max().unstack("step").reindex(ranking["company"])
    changes = []
    for company, r in current.items():
        if company in previous:
            for ch in compare_cells(by_screening.get(previous[company]["screening_id"], []),
                                    by_screening.get(r["screening_id"], [])):
                changes.append({"company": company, "theme": ch.pop("row"), **ch})
    yoy = pd.DataFrame(changes, columns=["company", "theme", "step", "previous_score", "score", "change"])
    names = {r["screening_id"]: c for c, r in current.items()}
    fp = pd.DataFrame([{"company": names[f["screening_id"]], "type": f["type"], "entity": f["entity"], "name": f["name"],
                        "mentions": f["mentions"], "pages": len(f["pages"]), "themes": ", ".join(f["themes"]),
                        "steps": ", ".join(f["steps"]), "gap": "; ".join(g["message"] for g in f["gap"] or [])}
                       for f in store.footprint(list(names)) if f["type"] not in ("site", "supplier")],
                      columns=["company", "type", "entity", "name", "mentions", "pages", "themes", "steps", "gap"])
    return {
        "ranking": ranking,
        "footprint": fp,
        "themes": themes.reset_index().rename(columns={"index": "company"}),
        "steps": steps.reset_index().rename(columns={"index": "company"}),
        "cells": cells.rename(columns={"row": "theme"})[["company", "theme", "step", "score", "n_evidence", "n_substantiated"]],
        "year_over_year": yoy,
    }


def export_tables(tables: dict[str, pd.DataFrame], out_dir: Path, stem: str, formats=FORMATS) -> list[Path]:
    """CSV and Parquet per table, one XLSX workbook with a sheet per table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in tables.items():
        if "csv" in formats:
            written.append(out_dir / f"{stem}_{name}.csv")
            df.to_csv(written[-1], index=False)
        if "parquet" in formats:
            written.append(out_dir / f"{stem}_{name}.parquet")
            df.to_parquet(written[-1], index=False)
    if "xlsx" in formats:
        written.append(out_dir / f"{stem}.xlsx")
        with pd.ExcelWriter(written[-1], engine="openpyxl") as xl:
            for name, df in tables.items():
                df.to_excel(xl, sheet_name=name[:31], index=False)
    return written


def scorecard_links(store: Store, ranking: pd.DataFrame, page_dir: Path) -> dict[str, str]:
    """company -> relative href from a page in `page_dir` to the company's scorecard HTML, for the
    screenings in the ranking whose scorecard was recorded in the store and still exists."""
    keys = {screening_key(r["doc_id"], r["covenant"], r["model_version"], r["taxonomy_version"]): r["company"]
            for _, r in ranking.iterrows()}
    links = {}
    for key, path in store.output_paths(list(keys)).items():
        href = relative_href(path, page_dir)
        if href:
            links[str(keys[key])] = href
    return links


def write_benchmark_page(tables: dict[str, pd.DataFrame], store: Store, out_dir: Path, stem: str, *,
                         taxonomy: Taxonomy, covenant: str, year: int, lang: str = "en") -> Path:
    """Write `<stem>.html`: ranking, heatmaps and year-over-year arrows, linking to the scorecards."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}.html"
    page = benchmark_html(tables, taxonomy=taxonomy, covenant=covenant, year=year, ui=load_ui(lang, taxonomy.root),
                          links=scorecard_links(store, tables["ranking"], out_dir))
    write_atomic(path, page)
    return path
