"""The signatory registry of a yearly assessment: who signed which covenant, and where their reports are.

Registry CSV columns: `company, covenant, reports` (a folder, relative to the registry file, holding
the company's report PDFs, one or more years), optional `sector`. The newest report is the one
whose file name carries the latest year.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pipeline.batch import BatchItem, guess_company_year
from pipeline.errors import ImvoError


@dataclass
class RegistryEntry:
    company: str
    covenant: str
    reports: Path
    sector: str | None = None


def read_registry(path: Path) -> list[RegistryEntry]:
    path = Path(path)
    base = path.parent.resolve()
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise ImvoError(f"{path}: registry not found") from None
    entries = []
    for n, row in enumerate(rows, 2):
        missing = [c for c in ("company", "covenant", "reports") if not (row.get(c) or "").strip()]
        if missing:
            raise ImvoError(f"{path}:{n}: missing {', '.join(missing)}")
        folder = (path.parent / row["reports"].strip()).resolve()
        if base not in (folder, *folder.parents):
            raise ImvoError(f"{path}:{n}: {row['reports']} lies outside the registry's folder {base}")
        entries.append(RegistryEntry(row["company"].strip(), row["covenant"].strip(), folder,
                                     (row.get("sector") or "").strip() or None))
    return entries


def reports_by_year(entry: RegistryEntry) -> dict[int, Path]:
    """The company's report per year (file names carry the year); the last file name wins a tie."""
    found: dict[int, Path] = {}
    for pdf in sorted(entry.reports.glob("*.pdf")):
        _, year = guess_company_year(pdf.name)
        if year is not None:
            found[year] = pdf
    return found


def assessment_items(entries: list[RegistryEntry], *, with_previous: bool = True) -> tuple[list[BatchItem], dict[str, int]]:
    """Batch items for each company's newest report (and the year before, so changes can be shown),
    and the newest year per company."""
    items, newest = [], {}
    for e in entries:
        years = reports_by_year(e)
        if not years:
            items.append(BatchItem(str(e.reports), e.company, None, e.covenant, e.sector,
                                   problem=f"no report PDF with a year in its name in {e.reports}"))
            continue
        latest = max(years)
        newest[e.company] = latest
        wanted = [latest] + ([latest - 1] if with_previous and latest - 1 in years else [])
        for year in wanted:
            items.append(BatchItem(str(years[year]), e.company, year, e.covenant, e.sector))
    return items, newest
