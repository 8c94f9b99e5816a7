"""Batch operations: what to screen (a manifest or a folder) and screening one item into the store.

A batch never stops for one document: every item ends as `screened`, `reused` (the store already
holds the result for these PDF bytes, covenant, model and taxonomy) or `failed` with error records.
"""

from __future__ import annotations

import csv
import logging
import re
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.document import Document, ErrorCategory, Metadata, Stage, sha256_file
from pipeline.errors import ImvoError
from pipeline.report import write_outputs
from pipeline.screen import Resources, new_document, screen_pdf
from pipeline.store import Store, screening_key

log = logging.getLogger(__name__)

MANIFEST_COLUMNS = ("company", "year", "covenant", "path")
OPTIONAL_COLUMNS = ("sector", "language")
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")


@dataclass
class BatchItem:
    path: str
    company: str | None = None
    year: int | None = None
    covenant: str | None = None
    sector: str | None = None
    language: str | None = None
    problem: str | None = None  # set when the manifest row itself is unusable


@dataclass
class ItemResult:
    path: str
    company: str | None
    year: int | None
    outcome: str  # screened | reused | failed
    status: str | None = None
    doc_id: str | None = None
    screening_id: str | None = None
    completeness: float | None = None
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    scorecard: str | None = None  # the HTML scorecard, when the batch writes them

    def to_dict(self) -> dict:
        return asdict(self)


def guess_company_year(filename: str) -> tuple[str | None, int | None]:
    """'philips_2018_annual_report_en.pdf' -> ('philips', 2018): the words before the first year."""
    stem = Path(filename).stem
    m = _YEAR.search(stem)
    if not m:
        return stem.replace("_", " ").strip() or None, None
    company = re.sub(r"[_\-\s]+", " ", stem[: m.start()]).strip()
    return company or None, int(m.group(1))


def _inside(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base.resolve())
        return True
    except ValueError:
        return False


def read_batch(source: Path, *, base_dir: Path | None = None) -> list[BatchItem]:
    """Items from a CSV manifest (`company, year, covenant, path`, optional `sector, language`) or a folder.

    Relative paths in a manifest are relative to the manifest's folder; no path may leave `base_dir`
    (default: that folder), so a shared manifest cannot make the tool read files elsewhere.
    """
    source = Path(source)
    if source.is_dir():
        return [BatchItem(str(p), *guess_company_year(p.name)) for p in sorted(source.glob("*.pdf"))]
    if not source.exists():
        raise ImvoError(f"{source}: no such manifest or folder")
    base = Path(base_dir) if base_dir else source.parent
    with open(source, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in MANIFEST_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ImvoError(f"{source}: manifest lacks the column(s) {', '.join(missing)}; "
                            f"expected {', '.join(MANIFEST_COLUMNS)} (optional {', '.join(OPTIONAL_COLUMNS)})")
        items = []
        for n, row in enumerate(reader, 2):
            raw = (row.get("path") or "").strip()
            path = Path(raw) if Path(raw).is_absolute() else source.parent / raw
            item = BatchItem(str(path), (row.get("company") or "").strip() or None, None,
                             (row.get("covenant") or "").strip() or None, (row.get("sector") or "").strip() or None,
                             (row.get("language") or "").strip() or None)
            year = (row.get("year") or "").strip()
            if year:
                if year.isdigit():
                    item.year = int(year)
                else:
                    item.problem = f"{source}:{n}: year {year!r} is not a number"
            if not raw:
                item.problem = f"{source}:{n}: empty path"
            elif not _inside(path, base):
                item.problem = f"{source}:{n}: {raw} lies outside the base folder {base}; refusing to read it"
            items.append(item)
    return items


def result_key(path: Path, covenant: str, resources: Resources) -> tuple[str, str]:
    """(sha256 of the file, screening key): what decides whether a result can be reused (the key includes
    the hash of the analysts' verdicts on this file, so importing verdicts makes the next batch rescreen it)."""
    digest = sha256_file(path)
    return digest, screening_key(digest, covenant, resources.heads.version, resources.taxonomy.version,
                                 resources.verdicts.digest(digest))


def stored_results(items: list[BatchItem], *, resources: Resources, store: Store,
                   out_dir: Path | None = None) -> list[ItemResult] | None:
    """The outcome of every item when all of them can be reused from the store (with their
    scorecards in `out_dir`, when given), else None.

    Lets a rerun of an unchanged batch answer from the store without starting a flow run or
    loading the encoder: hashing the files and one lookup each is all it costs.
    """
    results = []
    for item in items:
        covenant = item.covenant or resources.settings.covenant
        path = Path(item.path)
        if item.problem or covenant not in resources.taxonomy.covenants or not path.is_file():
            return None
        start = time.perf_counter()
        result = _reuse(ItemResult(item.path, item.company, item.year, "failed"), path, covenant,
                        resources=resources, store=store, out_dir=out_dir)
        if result is None:
            return None
        result.seconds = round(time.perf_counter() - start, 3)
        results.append(result)
    return results


def _reuse(result: ItemResult, path: Path, covenant: str, *, resources: Resources, store: Store,
           out_dir: Path | None) -> ItemResult | None:
    """`result` filled from the store when the document's stored screening can be reused, else None
    (with `result.doc_id` set either way, so the file is hashed once)."""
    result.doc_id, key = result_key(path, covenant, resources)
    stored, scorecard = reusable(store, key, out_dir)
    if stored is None:
        return None
    result.outcome, result.status, result.screening_id = "reused", stored["status"], key
    result.completeness = stored["completeness"]
    result.errors = [e["message"] for e in stored["errors"]]
    result.scorecard = str(scorecard) if scorecard else None
    return result


def scorecard_in(store: Store, key: str, out_dir: Path | None) -> Path | None:
    """The scorecard HTML recorded for a screening, if it exists inside `out_dir` (any folder when None)."""
    path = store.output_paths([key]).get(key)
    if path is None or not path.is_file():
        return None
    if out_dir is not None and path.parent != Path(out_dir).resolve():
        return None
    return path


def reusable(store: Store, key: str, out_dir: Path | None) -> tuple[dict | None, Path | None]:
    """(the stored screening, its scorecard) when the screening can stand for a new one: it exists
    and, when the batch writes scorecards to `out_dir`, it failed (nothing to show) or its scorecard
    is already there. (None, None) otherwise."""
    stored = store.lookup(key)
    if stored is None:
        return None, None
    scorecard = scorecard_in(store, key, out_dir)
    if out_dir is not None and stored["status"] != "failed" and scorecard is None:
        return None, None
    return stored, scorecard


def output_stem(store: Store, doc: Document, out_dir: Path) -> str:
    """`<pdf stem>`, or `<pdf stem>-<sha256 prefix>` when another document's scorecard already has that
    name in `out_dir` (two reports both called `annual_report.pdf`): one scorecard never replaces
    another company's, which the store and the benchmark page still point to."""
    stem = Path(doc.source.filename).stem
    taken = store.documents_written_to(out_dir / f"{stem}.html") - {doc.doc_id}
    return f"{stem}-{doc.doc_id[:10]}" if taken else stem


def screen_item(item: BatchItem, *, resources: Resources, store: Store, out_dir: Path | None = None,
                lang: str = "en") -> ItemResult:
    """Screen one item into the store, or reuse the stored result; never raises for a bad document.

    With `out_dir`, each screened document's JSON and HTML scorecard (UI language `lang`) are written
    there and their paths recorded in the store, so the benchmark page can link to them; a stored
    result whose scorecard is not in `out_dir` is screened again to write it.
    """
    start = time.perf_counter()
    result = ItemResult(item.path, item.company, item.year, "failed")
    covenant = item.covenant or resources.settings.covenant
    try:
        if item.problem:
            result.errors = [item.problem]
            return result
        resources.taxonomy.covenant(covenant)  # unknown covenant: a clear error, before any work
        path = Path(item.path)
        if path.exists() and _reuse(result, path, covenant, resources=resources, store=store, out_dir=out_dir):
            return result
        doc = screen_pdf(path, resources=resources, covenant=covenant, company=item.company, year=item.year,
                         sha256=result.doc_id)
    except ImvoError as e:
        result.errors = [str(e)]
        return result
    except Exception as e:  # a bug must not stop the batch: record it against this document
        log.exception("screening %s failed", item.path)
        doc = new_document(Path(item.path), Metadata(company=item.company, year=item.year, covenant=covenant))
        doc.versions.model, doc.versions.taxonomy = resources.heads.version, resources.taxonomy.version
        doc.add_error(Stage.extract, ErrorCategory.internal_error,
                      f"unexpected {type(e).__name__}: {e}; please report it with the file "
                      f"({traceback.format_exc(limit=1).strip().splitlines()[-1]})")
    finally:
        result.seconds = round(time.perf_counter() - start, 3)
    if doc.failed and doc.doc_id == "0" * 64:
        result.errors = [e.one_line() for e in doc.errors]  # unreadable file: nothing to store under
        return result
    result.screening_id = store.save(doc, sector=item.sector, language=item.language)
    if out_dir is not None and not doc.failed:
        json_path, html_path = write_outputs(doc, Path(out_dir), resources.taxonomy, lang=lang,
                                             stem=output_stem(store, doc, Path(out_dir)))
        store.record_output(result.screening_id, "json", json_path)
        store.record_output(result.screening_id, "html", html_path)
        result.scorecard = str(html_path.resolve())
    result.doc_id, result.status = doc.doc_id, doc.status.value
    result.outcome = "failed" if doc.failed else "screened"
    result.completeness = doc.scorecard.completeness if doc.scorecard else None
    result.errors = [e.one_line() for e in doc.errors]
    result.seconds = round(time.perf_counter() - start, 3)
    return result


def batch_summary(results: list[ItemResult], db_url: str) -> dict:
    """`summarise` plus every item's outcome and the store they went into: what a batch reports."""
    return {**summarise(results), "results": [r.to_dict() for r in results], "db": db_url}


def summarise(results: list[ItemResult]) -> dict:
    """Counts of documents newly screened, reused from the store, and failed (no usable result, new or
    stored), with the reasons of every failure."""
    out = {"documents": len(results), "screened": 0, "reused": 0, "failed": 0, "failures": []}
    for r in results:
        if r.outcome == "failed" or r.status == "failed":
            out["failed"] += 1
            out["failures"].append({"path": r.path, "reasons": r.errors, "from_store": r.outcome == "reused"})
        else:
            out[r.outcome] += 1
    return out
