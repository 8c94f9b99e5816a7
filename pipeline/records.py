"""Screening records: the rows of the results store, read from a store or built from scorecard JSON files.

Exports and review sheets start from either source (`imvo batch` fills the store, `imvo screen` writes
JSON); both become the same rows (`pipeline.store.document_rows`), so everything downstream reads one
shape. Filters: covenant, years and companies (case-insensitive).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from pipeline.document import Document
from pipeline.errors import RecordsError
from pipeline.store import Store, document_rows

__all__ = ["Records", "RecordsError", "Selection", "load_records", "read_document", "records_from_documents",
           "records_from_store"]


@dataclass
class Records:
    """Screenings with their passages and cells (theme x step and bank activity x step)."""

    screenings: list[dict] = field(default_factory=list)
    passages: list[dict] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)

    def extend(self, other: Records) -> None:
        seen = {s["screening_id"] for s in self.screenings}
        new = {s["screening_id"] for s in other.screenings} - seen
        self.screenings += [s for s in other.screenings if s["screening_id"] in new]
        self.passages += [p for p in other.passages if p["screening_id"] in new]
        self.cells += [c for c in other.cells if c["screening_id"] in new]


@dataclass(frozen=True)
class Selection:
    covenant: str | None = None
    years: tuple[int, ...] = ()
    companies: tuple[str, ...] = ()

    def keeps(self, screening: dict) -> bool:
        if self.covenant and screening["covenant"] != self.covenant:
            return False
        if self.years and screening["year"] not in self.years:
            return False
        wanted = {c.casefold() for c in self.companies}
        return not wanted or (screening["company"] or "").casefold() in wanted


def read_document(path: Path) -> Document:
    """One scorecard JSON written by `imvo screen`."""
    try:
        return Document.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordsError(f"{path}: file not found") from None
    except (ValidationError, ValueError) as e:
        first = str(e).splitlines()[0]
        raise RecordsError(f"{path}: not a scorecard JSON written by `imvo screen` ({first})") from None


def records_from_documents(docs: Iterable[Document], selection: Selection = Selection()) -> Records:
    out = Records()
    for doc in docs:
        rows = document_rows(doc)
        screening = rows["screenings"][0]
        if doc.scorecard is None or not selection.keeps(screening):
            continue
        screening["filename"] = doc.source.filename
        out.extend(Records([screening], rows["passages"], rows["cells"]))
    return out


def records_from_store(store: Store, selection: Selection = Selection()) -> Records:
    rows = [s for s in store.screenings(covenant=selection.covenant, years=selection.years or None)
            if selection.keeps(s) and s["status"] != "failed"]
    ids = [s["screening_id"] for s in rows]
    return Records(rows, store.passages(ids), store.cells(ids, "theme") + store.cells(ids, "activity"))


def load_records(json_paths: list[Path], store: Store | None, selection: Selection = Selection()) -> Records:
    """Records from scorecard JSON files and/or a store; an empty selection is an error that names the filters."""
    records = records_from_documents((read_document(p) for p in json_paths), selection)
    if store is not None:
        records.extend(records_from_store(store, selection))
    if not records.screenings:
        where = " and ".join(filter(None, [f"{len(json_paths)} JSON file(s)" if json_paths else "",
                                           f"the store {store.url}" if store is not None else ""]))
        wanted = ", ".join(filter(None, [f"covenant {selection.covenant}" if selection.covenant else "",
                                         f"year {', '.join(map(str, selection.years))}" if selection.years else "",
                                         f"company {', '.join(selection.companies)}" if selection.companies else ""]))
        raise RecordsError(f"no screened reports{' for ' + wanted if wanted else ''} in {where or 'no source'}")
    return records
