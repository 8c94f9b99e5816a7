"""Prefect flow: the yearly assessment of every signatory's newest report, with year-over-year changes."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from flows.batch import batch_screen, store_for
from pipeline.assessment import assessment_items, read_registry
from pipeline.benchmark import benchmark_tables, export_tables, write_benchmark_page
from pipeline.settings import Settings
from pipeline.store import default_url
from pipeline.taxonomy import load_taxonomy


@flow(name="yearly-assessment")
def yearly_assessment(registry: str, db: str | None = None, out_dir: str = "out/assessment", lang: str = "en") -> dict:
    """Screen each company's newest report (and the one before), writing their scorecards into
    `out_dir/scorecards`, then write the benchmark per covenant (tables and an HTML page)."""
    logger = get_run_logger()
    settings = Settings()
    db_url = db or default_url(settings.cache_dir)
    entries = read_registry(Path(registry))
    items, newest = assessment_items(entries)
    manifest = Path(out_dir) / "assessment_manifest.csv"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    import csv

    with open(manifest, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["company", "year", "covenant", "path", "sector"])
        for it in items:
            w.writerow([it.company, it.year or "", it.covenant, it.path, it.sector or ""])
    summary = batch_screen(str(manifest), db=db_url, base_dir="/", out_dir=str(Path(out_dir).resolve() / "scorecards"),
                           lang=lang)
    taxonomy = load_taxonomy(settings.corpora)
    written = []
    store = store_for(db_url)
    for covenant in sorted({e.covenant for e in entries}):
        for year in sorted({newest[e.company] for e in entries if e.covenant == covenant and e.company in newest}):
            try:
                tables = benchmark_tables(store, covenant, year)
            except ValueError as e:
                logger.warning("%s", e)
                continue
            stem = f"benchmark_{covenant}_{year}"
            written += [str(p) for p in export_tables(tables, Path(out_dir), stem)]
            written.append(str(write_benchmark_page(tables, store, Path(out_dir), stem, taxonomy=taxonomy,
                                                    covenant=covenant, year=year, lang=lang)))
    logger.info("assessment: %d companies, wrote %d files to %s", len(entries), len(written), out_dir)
    return {"batch": {k: v for k, v in summary.items() if k != "results"}, "written": written}
