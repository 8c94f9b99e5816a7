"""Prefect flow: the yearly assessment of every signatory's newest report, with year-over-year changes."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from flows.batch import batch_screen, store_for
from pipeline.assessment import assessment_items, read_registry
from pipeline.benchmark import benchmark_tables, export_tables
from pipeline.settings import Settings
from pipeline.store import default_url


@flow(name="yearly-assessment")
def yearly_assessment(registry: str, db: str | None = None, out_dir: str = "out/assessment") -> dict:
    """Screen each company's newest report (and the one before), then write the benchmark per covenant."""
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
    summary = batch_screen(str(manifest), db=db_url, base_dir="/")
    written = []
    store = store_for(db_url)
    for covenant in sorted({e.covenant for e in entries}):
        for year in sorted({newest[e.company] for e in entries if e.covenant == covenant and e.company in newest}):
            try:
                tables = benchmark_tables(store, covenant, year)
            except ValueError as e:
                logger.warning("%s", e)
                continue
            written += [str(p) for p in export_tables(tables, Path(out_dir), f"benchmark_{covenant}_{year}")]
    logger.info("assessment: %d companies, wrote %d files to %s", len(entries), len(written), out_dir)
    return {"batch": {k: v for k, v in summary.items() if k != "results"}, "written": written}
