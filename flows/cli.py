"""The `imvo` command: thin typer wrappers around library functions."""

from __future__ import annotations

import json
import logging
import re
import os
import shutil
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from pipeline.errors import ImvoError
from pipeline.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Screen company and bank reports for IMVO due-diligence disclosure.")
console = Console(stderr=True)
# The matrix needs about 110 columns; rich falls back to 80 when output is piped.
out = Console(width=max(shutil.get_terminal_size((120, 24)).columns, 112))


def _settings(**overrides) -> Settings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _check_lang(lang: str, settings: Settings) -> None:
    """Fail early (before any screening) on an unknown UI language or unreadable UI strings."""
    from pipeline.views import load_ui

    try:
        load_ui(lang, settings.corpora)
    except ImvoError as e:
        _fail(str(e))


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="log progress of every stage")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def screen(
    report: Path = typer.Argument(..., help="PDF of an annual, sustainability or human-rights report"),
    covenant: Optional[str] = typer.Option(None, help="covenant rubric: textile, banking, human_rights, ... (default: settings)"),
    company: Optional[str] = typer.Option(None, help="company name, recorded in the output"),
    year: Optional[int] = typer.Option(None, help="reporting year, recorded in the output"),
    out_dir: Path = typer.Option(Path("out"), "--out", help="folder for <stem>.json and <stem>.html"),
    encoder: Optional[str] = typer.Option(None, help="sentence encoder (default: use-multilingual-v3)"),
    model_dir: Optional[Path] = typer.Option(None, help="trained heads folder (default: newest model in models/ for the encoder)"),
    lang: str = typer.Option("en", "--lang", help="UI language of the HTML scorecard: en or nl"),
) -> None:
    """Screen one report and write its scorecard (JSON and HTML); print the theme x step matrix."""
    from pipeline.report import matrix_rows, write_outputs
    from pipeline.screen import load_resources, screen_pdf

    settings = _settings(encoder=encoder, model_dir=model_dir)
    _check_lang(lang, settings)
    try:
        resources = load_resources(settings)
        with console.status(f"screening {report.name}"):
            doc = screen_pdf(report, resources=resources, covenant=covenant, company=company, year=year)
    except ImvoError as e:
        _fail(str(e))
    if doc.failed:
        _fail(f"{report}: " + "; ".join(e.one_line() for e in doc.errors))
    json_path, html_path = write_outputs(doc, out_dir, resources.taxonomy, lang=lang)
    sc = doc.scorecard
    header, rows = matrix_rows(doc, resources.taxonomy)
    table = Table(title=f"{report.name}: {sc.covenant} completeness {sc.completeness:.1f}/100 "
                        "(0 absent, 1 mentioned, 2 substantiated)")
    for h in header:
        table.add_column(h, justify="left" if h == "theme" else "center", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    out.print(table)
    for e in doc.errors:
        console.print(f"[yellow]warning:[/yellow] {e.one_line()}", highlight=False)
    reviewed = sum(1 for p in doc.passages if p.labels and p.labels.review)
    if doc.versions.reviews:
        out.print(f"{reviewed} passages labelled by analysts' verdicts from {resources.settings.reviews}")
    out.print(f"status {doc.status.value}; {len(doc.pages)} pages, {len(doc.passages)} passages; wrote {json_path} and {html_path}")


@app.command("classify")
def classify_cmd(
    passages: Path = typer.Argument(..., help='JSONL with one {"id": ..., "text": ...} per line (optional "heading")'),
    out_file: Path = typer.Option(..., "--out", help="JSONL with probabilities and decisions per passage"),
    encoder: Optional[str] = typer.Option(None),
    model_dir: Optional[Path] = typer.Option(None),
) -> None:
    """Classify passages that did not come from a PDF."""
    from pipeline.classify import classify_texts
    from pipeline.report import write_atomic
    from pipeline.screen import load_resources

    rows = []
    try:
        with open(passages, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    rows.append((item["id"], str(item["text"]), item.get("heading")))
                except (json.JSONDecodeError, KeyError, TypeError) as e:
                    _fail(f"{passages}:{n}: each line must be a JSON object with 'id' and 'text' ({e})")
    except FileNotFoundError:
        _fail(f"{passages}: file not found")
    settings = _settings(encoder=encoder, model_dir=model_dir)
    try:
        res = load_resources(settings)
        heads = res.heads
        labels = classify_texts([t for _, t, _ in rows], heads=heads, encoder=res.encoder, cache=res.cache,
                                headings=[h for _, _, h in rows])
    except ImvoError as e:
        _fail(str(e))
    lines = []
    for (pid, _, _), lab in zip(rows, labels):
        lines.append(json.dumps({
            "id": pid, "relevant": lab.relevant, "themes": lab.themes, "steps": lab.steps,
            "bank_activity": lab.bank_activity, "substantiated": lab.substantiated,
            "labels": lab.decisions.model_dump(), "needs_review": lab.needs_review,
        }, ensure_ascii=False))
    write_atomic(out_file, "\n".join(lines) + ("\n" if lines else ""))
    out.print(f"classified {len(lines)} passages with {heads.version}; wrote {out_file}")


def _say_located(corpora: Path, reports_dir: Path | None, evaluation: bool = False) -> None:
    from pipeline.corpus import load_located

    n = len(load_located(corpora, evaluation=evaluation))
    kind = "gold" if evaluation else "training"
    if n:
        console.print(f"{n} located {kind} passages read from the reports in {reports_dir}" if reports_dir else
                      f"{n} located {kind} passages left out: no reports folder to read their text from", highlight=False)


def _reports_dir(option: Path | None) -> Path | None:
    """Where the real reports are: the option, else ../shared/data/reports when present; 'none' means none."""
    from pipeline.settings import SHARED_DATA

    if option is not None:
        if str(option).lower() == "none":
            return None
        if not option.is_dir():
            _fail(f"{option}: no such folder")
        return option
    default = SHARED_DATA / "reports"
    return default if default.is_dir() else None


@app.command()
def train(
    out_dir: Path = typer.Option(Path("models"), "--out", help="models folder; writes <out>/<name>/<version>/"),
    name: Optional[str] = typer.Option(None, help="model name (default: imvo-heads, or imvo-heads-<encoder> for other encoders)"),
    version: Optional[str] = typer.Option(None, help="version folder name (default: today's date)"),
    encoder: Optional[str] = typer.Option(None),
    corpora: Optional[Path] = typer.Option(None, help="corpora folder with labelled/*.jsonl (and the review verdicts in labelled/reviews/)"),
    reports: Optional[Path] = typer.Option(None, help="folder of the development reports the real passages were cut from, for the "
                                           "page-context stage and the text of the located passages (labelled/located/) "
                                           "(default: ../shared/data/reports when present; 'none' to skip both)"),
    lexicon: bool = typer.Option(True, help="the heads also learn on a TF-IDF lexicon of words and word pairs"),
) -> None:
    """Train the classifier heads on the labelled corpus."""
    from pipeline.corpus import load_corpus
    from pipeline.encoders import USE_NAME, load_encoder
    from pipeline.screen import open_cache
    from pipeline.train import train as train_heads

    settings = _settings(encoder=encoder, corpora=corpora)
    try:
        reports_dir = _reports_dir(reports)
        passages = load_corpus(settings.corpora, reviews=settings.reviews, reports=reports_dir)
        _say_located(settings.corpora, reports_dir)
        reviewed = sum(p.review is not None for p in passages)
        if reviewed:
            console.print(f"{len(passages)} labelled passages, {reviewed} of them analysts' verdicts from "
                          f"{settings.reviews}", highlight=False)
        enc = load_encoder(settings.encoder, threads=settings.threads)
        cache = open_cache(settings)
        if name is None:
            slug = re.sub(r"[^a-z0-9]+", "-", Path(settings.encoder).name.lower()).strip("-")
            name = "imvo-heads" if settings.encoder == USE_NAME else f"imvo-heads-{slug}"
        folder = train_heads(passages, encoder=enc, out_dir=out_dir, name=name, model_version=version, cache=cache,
                             reports_dir=reports_dir, lexical=lexicon,
                             progress=lambda m: console.print(m, highlight=False))
    except (ImvoError, ValueError) as e:
        _fail(str(e))
    out.print(f"wrote {folder}")


@app.command()
def evaluate(
    gold: bool = typer.Option(True, help="score the model on the gold passages of unseen reports (corpora/evaluation)"),
    cv: bool = typer.Option(True, help="cross-validate on the training corpus, grouped by source report (slow)"),
    aims: Optional[Path] = typer.Option(None, help="AIMS.au gold CSV (default: ../shared/data/labelled/aims_au_gold_test_sentences.csv when present)"),
    readme: bool = typer.Option(False, "--readme", help="write the tables into README.md"),
    encoder: Optional[str] = typer.Option(None),
    model_dir: Optional[Path] = typer.Option(None),
    reports: Optional[Path] = typer.Option(None, help="folder of the reports, so gold passages are classified in their report's page context "
                                           "as `imvo screen` does and CV reads the located passages' text "
                                           "(default: ../shared/data/reports when present; 'none')"),
) -> None:
    """Per-label precision/recall/F1 and calibration, per language, on unseen reports, CV and AIMS.au."""
    from pipeline.corpus import agreement_samples, iter_corpus_files, load_corpus
    from pipeline.evaluate import (cross_validate, evaluate_agreement, evaluate_aims, evaluate_gold, evaluate_paired,
                                   render_markdown, update_readme)
    from pipeline.report import write_atomic
    from pipeline.screen import load_resources
    from pipeline.settings import REPO_ROOT, SHARED_DATA

    settings = _settings(encoder=encoder, model_dir=model_dir)
    results: dict = {}
    try:
        res = load_resources(settings)
        enc, heads, cache = res.encoder, res.heads, res.cache
        if gold:
            reports_dir = _reports_dir(reports)
            passages = load_corpus(settings.corpora, evaluation=True, reports=reports_dir)
            _say_located(settings.corpora, reports_dir, evaluation=True)
            if passages:
                console.print(f"gold: {len(passages)} passages from unseen reports", highlight=False)
                results["gold"] = evaluate_gold(heads, passages, encoder=enc, cache=cache, reports_dir=reports_dir,
                                                covenant=res.taxonomy.covenant("human_rights"),
                                                progress=lambda m: console.print(m, highlight=False))
                translations = load_corpus(files=iter_corpus_files(settings.corpora, "evaluation/translated"),
                                           evaluation=True)
                if translations:
                    console.print(f"paired: {len(translations)} Dutch translations of gold passages", highlight=False)
                    results["paired"] = evaluate_paired(heads, passages, translations, encoder=enc, cache=cache)
                samples = agreement_samples(settings.corpora, reports_dir)
                if samples:
                    results["agreement"] = evaluate_agreement(samples)
        if cv:
            reports_dir = _reports_dir(reports)
            passages = load_corpus(settings.corpora, reviews=settings.reviews, reports=reports_dir)
            _say_located(settings.corpora, reports_dir)
            results["cv"] = cross_validate(passages, encoder=enc, cache=cache, features=heads.features,
                                           lexical=heads.lexicon is not None, progress=lambda m: console.print(m, highlight=False))
        aims_path = aims or (SHARED_DATA / "labelled" / "aims_au_gold_test_sentences.csv")
        if aims_path.exists():
            console.print(f"AIMS.au: {aims_path}", highlight=False)
            results["aims"] = evaluate_aims(heads, aims_path, encoder=enc, cache=cache)
        elif aims is not None:
            _fail(f"{aims}: file not found")
    except (ImvoError, ValueError) as e:
        _fail(str(e))
    markdown = render_markdown(results, heads.version)
    write_atomic(heads.path / "EVALUATION.md", f"# Evaluation of {heads.version}\n\n{markdown}")
    write_atomic(heads.path / "evaluation.json", json.dumps(results, indent=1, default=str) + "\n")
    if readme:
        update_readme(REPO_ROOT / "README.md", markdown)
    out.print(markdown)


@app.command()
def batch(
    source: Path = typer.Argument(..., help="manifest CSV (company, year, covenant, path[, sector, language]) or a folder of PDFs"),
    db: Optional[str] = typer.Option(None, help="SQLAlchemy URL of the results store (default: sqlite in the cache folder)"),
    base_dir: Optional[Path] = typer.Option(None, help="folder every manifest path must stay inside (default: the manifest's folder)"),
    dask: Optional[str] = typer.Option(None, help="address of an existing Dask scheduler to run the documents on"),
    workers: int = typer.Option(1, help="with more than 1: a local Dask cluster of this many worker processes"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="also write each report's scorecard (JSON and HTML) here; the benchmark page links to them"),
    lang: str = typer.Option("en", "--lang", help="UI language of the HTML scorecards: en or nl"),
) -> None:
    """Screen many reports into the results store; unchanged documents are reused, bad ones recorded.

    When every document already has a result in the store for the current model, taxonomy and
    verdicts (and its scorecard in --out), the batch is answered from the store without a flow run."""
    from pipeline.batch import batch_summary, read_batch, stored_results
    from pipeline.screen import load_resources
    from pipeline.store import Store, default_url

    settings = _settings()
    _check_lang(lang, settings)
    db_url = db or default_url(settings.cache_dir)
    out_path = out_dir.resolve() if out_dir else None
    try:
        items = read_batch(source, base_dir=base_dir)
        results = stored_results(items, resources=load_resources(settings), store=Store(db_url), out_dir=out_path)
    except ImvoError as e:
        _fail(str(e))
    if results is not None:
        summary = batch_summary(results, db_url)
    else:
        from flows.batch import batch_screen, task_runner_for

        flow = batch_screen.with_options(task_runner=task_runner_for(dask, workers))
        try:
            summary = flow(str(source), db=db, base_dir=str(base_dir) if base_dir else None, show_progress=True,
                           out_dir=str(out_path) if out_path else None, lang=lang)
        except ImvoError as e:
            _fail(str(e))
    table = Table(title=f"batch: {summary['documents']} documents into {summary['db']}")
    for col in ("document", "company", "year", "outcome", "status", "completeness", "seconds"):
        table.add_column(col, no_wrap=col != "document")
    for r in summary["results"]:
        table.add_row(Path(r["path"]).name, r["company"] or "", str(r["year"] or ""), r["outcome"], r["status"] or "",
                      "" if r["completeness"] is None else f"{r['completeness']:.1f}", f"{r['seconds']:.1f}")
    out.print(table)
    out.print(f"screened {summary['screened']}, reused {summary['reused']}, failed {summary['failed']}"
              + (f"; scorecards in {out_dir}" if out_dir else "")
              + ("" if results is None else " (all from the store: no flow run was needed)"))
    for f in summary["failures"]:
        console.print(f"[red]failed:[/red] {f['path']}: {'; '.join(f['reasons'])}", highlight=False, soft_wrap=True)
    if summary["failures"]:
        raise typer.Exit(2)


@app.command()
def benchmark(
    covenant: str = typer.Option(..., help="covenant id, e.g. textile or banking"),
    year: int = typer.Option(..., help="reporting year to rank"),
    db: Optional[str] = typer.Option(None, help="SQLAlchemy URL of the results store"),
    out_dir: Path = typer.Option(Path("out/benchmark"), "--out", help="folder for the HTML page, CSV, XLSX and Parquet"),
    lang: str = typer.Option("en", "--lang", help="UI language of the HTML benchmark page: en or nl"),
) -> None:
    """Rank companies by completeness; theme x company and step x company tables; year-over-year changes;
    an HTML page with the ranking and heatmaps that links to each company's scorecard."""
    from pipeline.benchmark import benchmark_tables, export_tables, write_benchmark_page
    from pipeline.store import Store, default_url
    from pipeline.taxonomy import load_taxonomy

    settings = _settings()
    _check_lang(lang, settings)
    try:
        taxonomy = load_taxonomy(settings.corpora)
        taxonomy.covenant(covenant)
        store = Store(db or default_url(settings.cache_dir))
        tables = benchmark_tables(store, covenant, year)
    except (ImvoError, ValueError) as e:
        _fail(str(e))
    ranking = tables["ranking"]
    table = Table(title=f"{covenant} {year}: completeness ranking")
    for col in ("rank", "company", "completeness", "change"):
        table.add_column(col)
    for _, r in ranking.iterrows():
        change = "" if r["completeness_change"] != r["completeness_change"] else f"{r['completeness_change']:+.1f}"
        table.add_row(str(r["rank"]), str(r["company"]), f"{r['completeness']:.1f}", change)
    out.print(table)
    stem = f"benchmark_{covenant}_{year}"
    written = export_tables(tables, out_dir, stem)
    page = write_benchmark_page(tables, store, out_dir, stem, taxonomy=taxonomy, covenant=covenant, year=year, lang=lang)
    out.print(f"wrote {len(written) + 1} files to {out_dir}; open {page}")


@app.command()
def serve(
    registry: Path = typer.Argument(..., help="signatory registry CSV: company, covenant, reports[, sector]"),
    db: Optional[str] = typer.Option(None),
    out_dir: Path = typer.Option(Path("out/assessment"), "--out"),
    lang: str = typer.Option("en", "--lang", help="UI language of the HTML scorecards and benchmark pages: en or nl"),
) -> None:
    """Serve the yearly assessment deployment (cron schedule in flows/deployments.py); blocks until stopped."""
    from flows.deployments import serve as serve_deployment

    settings = _settings()
    _check_lang(lang, settings)
    serve_deployment(str(registry.resolve()), db, str(out_dir.resolve()), lang)


def _records(scorecards: list[Path] | None, db: str | None, covenant: str | None, years: list[int] | None,
             companies: list[str] | None):
    """Screening records from scorecard JSON files and/or the results store (the default store when no JSON)."""
    from pipeline.records import Selection, load_records
    from pipeline.store import Store, default_url

    settings = _settings()
    store = None
    if db or not scorecards:
        url = db or default_url(settings.cache_dir)
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            _fail(f"no results store at {url}: run `imvo batch` first, or give scorecard JSON files from `imvo screen`")
        store = Store(url)
    selection = Selection(covenant=covenant, years=tuple(years or ()), companies=tuple(companies or ()))
    return settings, load_records(list(scorecards or []), store, selection)


_SOURCES = typer.Argument(None, help="scorecard JSON files written by `imvo screen` (default: the results store)", show_default=False)
_DB = typer.Option(None, help="SQLAlchemy URL of the results store (default: sqlite in the cache folder, when no JSON is given)")
_COVENANT = typer.Option(None, help="only this covenant, e.g. textile")
_YEAR = typer.Option(None, "--year", help="only this reporting year (repeat for several)")
_COMPANY = typer.Option(None, "--company", help="only this company, case-insensitive (repeat for several)")


@app.command("export")
def export_cmd(
    scorecards: Optional[list[Path]] = _SOURCES,
    db: Optional[str] = _DB,
    covenant: Optional[str] = _COVENANT,
    year: Optional[list[int]] = _YEAR,
    company: Optional[list[str]] = _COMPANY,
    out_dir: Path = typer.Option(Path("out/export"), "--out", help="folder for the files"),
    formats: str = typer.Option("csv,xlsx,json", "--format", help="comma-separated: csv, xlsx, json"),
    stem: str = typer.Option("imvo", help="file name stem: <stem>_<table>.csv, <stem>.xlsx, <stem>.json"),
) -> None:
    """Write scorecards, cells and evidence as CSV (one file per table), XLSX (one sheet per table) and JSON.

    Column ids are stable and documented in the README; the XLSX shows readable headers."""
    from pipeline.export import export_tables, write_tables
    from pipeline.taxonomy import load_taxonomy

    try:
        settings, records = _records(scorecards, db, covenant, year, company)
        tables = export_tables(records, load_taxonomy(settings.corpora))
        written = write_tables(tables, out_dir, stem, tuple(f.strip() for f in formats.split(",") if f.strip()))
    except (ImvoError, ValueError) as e:
        _fail(str(e))
    out.print(", ".join(f"{len(df)} {name}" for name, df in tables.items()) + f"; wrote {len(written)} files to {out_dir}")


review_app = typer.Typer(no_args_is_help=True, help="Review loop: a sheet of evidence passages for analysts, "
                                                    "and importing their verdicts as labelled passages.")
app.add_typer(review_app, name="review")


@review_app.command("export")
def review_export(
    scorecards: Optional[list[Path]] = _SOURCES,
    db: Optional[str] = _DB,
    covenant: Optional[str] = _COVENANT,
    year: Optional[list[int]] = _YEAR,
    company: Optional[list[str]] = _COMPANY,
    out_dir: Path = typer.Option(Path("out/review"), "--out", help="folder for <stem>.xlsx and <stem>.csv"),
    stem: str = typer.Option("review_sheet", help="file name stem"),
    limit: Optional[int] = typer.Option(None, min=1, help="only the N least certain passages"),
    include_reviewed: bool = typer.Option(False, help="also list passages that already have a verdict"),
) -> None:
    """Write a review sheet (XLSX and CSV): every evidence passage once, least certain first, with the
    predicted labels and empty columns for the analyst's verdict (accept, reject, correct)."""
    from pipeline.review import review_rows, write_review_sheet
    from pipeline.taxonomy import load_taxonomy

    try:
        settings, records = _records(scorecards, db, covenant, year, company)
        rows = review_rows(records, include_reviewed=include_reviewed, limit=limit)
        written = write_review_sheet(rows, out_dir, load_taxonomy(settings.corpora), stem=stem)
    except ImvoError as e:
        _fail(str(e))
    flagged = sum(r["needs_review"] == "yes" for r in rows)
    out.print(f"{len(rows)} evidence passages from {len(records.screenings)} screenings ({flagged} flagged needs_review); "
              f"wrote {', '.join(map(str, written))}")
    out.print("Fill in verdict (accept | reject | correct), the labels for correct, and reviewer; then run "
              "`imvo review import SHEET` with the same sources.")


@review_app.command("import")
def review_import(
    sheet: Path = typer.Argument(..., help="a review sheet (.xlsx or .csv) filled in by an analyst"),
    scorecards: Optional[list[Path]] = _SOURCES,
    db: Optional[str] = _DB,
    reviews_dir: Optional[Path] = typer.Option(None, help="where verdicts are stored (default: corpora/labelled/reviews)"),
    date: Optional[str] = typer.Option(None, help="date recorded with the verdicts (default: today, YYYY-MM-DD)"),
) -> None:
    """Validate a filled review sheet and store its verdicts as labelled passages with reviewer and date.

    Nothing is written when any row is invalid. `imvo train` learns from the verdicts (except those on
    evaluation-only reports), and screening a report again applies them to its cells."""
    from pipeline.review import import_review_sheet

    if date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        _fail(f"--date {date!r} is not a date in the form YYYY-MM-DD")
    try:
        settings, records = _records(scorecards, db, None, None, None)
        folder = reviews_dir or settings.reviews
        summary = import_review_sheet(sheet, records, folder=folder, date=date)
    except ImvoError as e:
        _fail(str(e))
    v = summary.verdicts
    out.print(f"imported {sum(v.values())} verdicts ({v['accept']} accepted, {v['reject']} rejected, "
              f"{v['correct']} corrected); {summary.skipped_rows} rows without a verdict skipped; "
              f"{summary.replaced} earlier verdicts replaced")
    out.print(f"{summary.training} verdicts become training data for `imvo train`")
    for reason, n in summary.screening_only.items():
        out.print(f"{n} verdicts kept out of training ({reason}): applied when screening only")
    for path in summary.written:
        out.print(f"wrote {path}")
    out.print("Screen the reports again (`imvo screen` or `imvo batch`) to apply the verdicts to their cells.")


def run() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
