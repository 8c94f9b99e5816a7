"""The results store: screened documents, passages with labels, scorecard cells with evidence.

SQLAlchemy Core over an embedded SQLite file by default; any SQLAlchemy URL (e.g. PostgreSQL) works
for teams. One screening is one document under one covenant, model version and taxonomy version;
its key is a hash of those four, and saving it again replaces its rows in one transaction, so
reruns never duplicate rows and a crash never leaves half a screening behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    insert,
    select,
)
from sqlalchemy.engine import Connection, Engine

from pipeline.document import Document

metadata = MetaData()

documents = Table(
    "documents", metadata,
    Column("doc_id", String(64), primary_key=True, comment="sha256 of the PDF bytes"),
    Column("filename", Text, nullable=False),
    Column("size_bytes", Integer),
    Column("page_count", Integer),
)

screenings = Table(
    "screenings", metadata,
    Column("screening_id", String(40), primary_key=True),
    Column("doc_id", String(64), ForeignKey("documents.doc_id"), nullable=False, index=True),
    Column("company", Text, index=True),
    Column("year", Integer, index=True),
    Column("covenant", String(64), nullable=False, index=True),
    Column("sector", Text),
    Column("language", String(8)),
    Column("source", Text, comment="path the PDF was read from"),
    Column("status", String(16), nullable=False),
    Column("errors", JSON, nullable=False),
    Column("pages", Integer),
    Column("passages", Integer),
    Column("completeness", Float),
    Column("model_version", Text, nullable=False),
    Column("taxonomy_version", Text, nullable=False),
    Column("encoder", Text),
    Column("pipeline_version", Text),
    Column("screened_at", DateTime(timezone=True), nullable=False),
    Column("thresholds", JSON, comment="the model's decision threshold per head and label"),
    Column("reviews", String(32), comment="hash of the analysts' verdicts applied to this document, if any"),
)

passages = Table(
    "passages", metadata,
    Column("screening_id", String(40), ForeignKey("screenings.screening_id"), primary_key=True),
    Column("passage_id", String(32), primary_key=True),
    Column("page", Integer, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("bbox", JSON, nullable=False),
    Column("heading", Text),
    Column("lang", String(8)),
    Column("text", Text, nullable=False),
    Column("relevant", Boolean),
    Column("themes", JSON),
    Column("steps", JSON),
    Column("bank_activity", JSON),
    Column("substantiated", Boolean),
    Column("needs_review", Boolean),
    Column("probabilities", JSON),
    Column("review", JSON, comment="the analyst's verdict (verdict, reviewer, date) when one was applied"),
)

cells = Table(
    "cells", metadata,
    Column("screening_id", String(40), ForeignKey("screenings.screening_id"), primary_key=True),
    Column("kind", String(16), primary_key=True, comment="'theme' for theme x step, 'activity' for bank activity x step"),
    Column("row", String(64), primary_key=True, comment="theme or bank activity id"),
    Column("step", String(32), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("n_evidence", Integer, nullable=False),
    Column("n_substantiated", Integer, nullable=False),
    Column("evidence", JSON, nullable=False, comment="[{passage_id, page, quote, ...}] in rank order"),
)


footprint = Table(
    "footprint", metadata,
    Column("screening_id", String(40), ForeignKey("screenings.screening_id"), primary_key=True),
    Column("type", String(16), primary_key=True, comment="country, commodity, scheme, supplier or site"),
    Column("entity", String(120), primary_key=True, comment="ISO code, commodity or scheme key, or name slug"),
    Column("name", Text, nullable=False),
    Column("mentions", Integer, nullable=False),
    Column("pages", JSON, nullable=False),
    Column("themes", JSON, nullable=False),
    Column("steps", JSON, nullable=False),
    Column("gap", JSON, comment="for a country or commodity in a high-risk pair without due diligence: the gap"),
)


outputs = Table(
    "outputs", metadata,
    Column("screening_id", String(40), primary_key=True, comment="no foreign key: saving a screening again keeps it"),
    Column("kind", String(16), primary_key=True, comment="'html' (the scorecard) or 'json'"),
    Column("path", Text, nullable=False, comment="absolute path the file was written to"),
    Column("written_at", DateTime(timezone=True), nullable=False),
)


def screening_key(doc_id: str, covenant: str, model_version: str, taxonomy_version: str,
                  reviews: str | None = None) -> str:
    """The identity of a result: same PDF bytes, covenant, model, taxonomy and applied analyst verdicts
    give the same key (a document without verdicts keeps the key it had before reviews existed)."""
    ident = f"{doc_id}|{covenant}|{model_version}|{taxonomy_version}" + (f"|reviews={reviews}" if reviews else "")
    return hashlib.sha256(ident.encode()).hexdigest()[:40]


def document_key(doc: Document) -> str:
    """The screening key of a screened document."""
    return screening_key(doc.doc_id, doc.source.metadata.covenant or "", doc.versions.model or "",
                         doc.versions.taxonomy or "", doc.versions.reviews)


def default_url(cache_dir: Path) -> str:
    return f"sqlite:///{Path(cache_dir) / 'results.sqlite'}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Store:
    """Read and write screening results; safe to reopen, share between processes and rerun."""

    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._create_tables()

    def _create_tables(self) -> None:
        """Create missing tables; several processes opening a new store at once may race, so retry."""
        from sqlalchemy.exc import OperationalError, ProgrammingError

        for attempt in range(5):
            try:
                metadata.create_all(self.engine)
                break
            except (OperationalError, ProgrammingError) as e:
                if "already exists" not in str(e) or attempt == 4:
                    raise
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Stores written by an older version lack newer (nullable) columns: add them in place."""
        from sqlalchemy import inspect, text
        from sqlalchemy.exc import OperationalError, ProgrammingError

        inspector = inspect(self.engine)
        for table in metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=self.engine.dialect)
                try:
                    with self.engine.begin() as con:
                        con.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
                except (OperationalError, ProgrammingError) as e:
                    if "duplicate" not in str(e).lower() and "already exists" not in str(e).lower():
                        raise  # another process adding the same column at the same time is fine

    # -- writing ------------------------------------------------------------------------------
    def save(self, doc: Document, *, sector: str | None = None, language: str | None = None) -> str:
        """Insert or replace one screening with its passages and cells, atomically."""
        key = document_key(doc)
        rows = document_rows(doc, sector=sector, language=language, screened_at=dt.datetime.now(dt.timezone.utc))
        with self.engine.begin() as con:
            self._upsert_document(con, doc)
            for table in (footprint, cells, passages, screenings):
                con.execute(delete(table).where(table.c.screening_id == key))
            con.execute(insert(screenings).values(**rows["screenings"][0]))
            for table in (passages, cells, footprint):
                if rows[table.name]:
                    con.execute(insert(table), rows[table.name])
        return key

    def _upsert_document(self, con: Connection, doc: Document) -> None:
        exists = con.execute(select(documents.c.doc_id).where(documents.c.doc_id == doc.doc_id)).first()
        values = dict(filename=doc.source.filename, size_bytes=doc.source.size_bytes, page_count=doc.source.page_count)
        if exists:
            con.execute(documents.update().where(documents.c.doc_id == doc.doc_id).values(**values))
        else:
            con.execute(insert(documents).values(doc_id=doc.doc_id, **values))

    def record_output(self, screening_id: str, kind: str, path: Path) -> None:
        """Remember where a screening's scorecard (or JSON) was written, for the benchmark page's links."""
        with self.engine.begin() as con:
            con.execute(delete(outputs).where(outputs.c.screening_id == screening_id, outputs.c.kind == kind))
            con.execute(insert(outputs).values(screening_id=screening_id, kind=kind, path=str(Path(path).resolve()),
                                               written_at=dt.datetime.now(dt.timezone.utc)))

    # -- reading ------------------------------------------------------------------------------
    def lookup(self, key: str) -> dict | None:
        with self.engine.connect() as con:
            row = con.execute(select(screenings).where(screenings.c.screening_id == key)).mappings().first()
        return dict(row) if row else None

    def screenings(self, *, covenant: str | None = None, years: Iterable[int] | None = None) -> list[dict]:
        """Screening rows, optionally of one covenant and some years; each with its document's file name."""
        q = select(screenings, documents.c.filename).join(documents, documents.c.doc_id == screenings.c.doc_id)
        if covenant:
            q = q.where(screenings.c.covenant == covenant)
        if years is not None:
            q = q.where(screenings.c.year.in_(list(years)))
        with self.engine.connect() as con:
            return [dict(r) for r in con.execute(q.order_by(screenings.c.screening_id)).mappings()]

    def _rows_for(self, table: Table, screening_ids: list[str], *where) -> list[dict]:
        if not screening_ids:
            return []
        q = select(table).where(table.c.screening_id.in_(screening_ids), *where)
        with self.engine.connect() as con:
            return [dict(r) for r in con.execute(q).mappings()]

    def cells(self, screening_ids: list[str], kind: str = "theme") -> list[dict]:
        return self._rows_for(cells, screening_ids, cells.c.kind == kind)

    def passages(self, screening_ids: list[str]) -> list[dict]:
        return self._rows_for(passages, screening_ids)

    def footprint(self, screening_ids: list[str]) -> list[dict]:
        return self._rows_for(footprint, screening_ids)

    def documents_written_to(self, path: Path) -> set[str]:
        """The documents (sha256) whose screenings have an output recorded at `path`."""
        query = (select(screenings.c.doc_id).join(outputs, outputs.c.screening_id == screenings.c.screening_id)
                 .where(outputs.c.path == str(Path(path).resolve())))
        with self.engine.connect() as con:
            return set(con.execute(query).scalars())

    def output_paths(self, screening_ids: list[str], kind: str = "html") -> dict[str, Path]:
        """screening id -> the file last written for it (which may have been moved or deleted since)."""
        return {r["screening_id"]: Path(r["path"]) for r in self._rows_for(outputs, screening_ids, outputs.c.kind == kind)}

    def counts(self) -> dict[str, int]:
        from sqlalchemy import func

        with self.engine.connect() as con:
            return {t.name: con.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in metadata.sorted_tables}

    def dump(self) -> dict[str, list[dict]]:
        """Every row of every table except timestamps, sorted: for comparing two stores."""
        out = {}
        with self.engine.connect() as con:
            for t in metadata.sorted_tables:
                rows = [{k: v for k, v in r.items() if k not in ("screened_at", "written_at")} for r in con.execute(select(t)).mappings()]
                out[t.name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
        return out


def document_rows(doc: Document, *, sector: str | None = None, language: str | None = None,
                  screened_at: dt.datetime | None = None) -> dict[str, list[dict]]:
    """The rows one screened document becomes, per table: what `save` writes, and what exports read
    when they start from scorecard JSON files instead of a store."""
    key = document_key(doc)
    meta, sc = doc.source.metadata, doc.scorecard
    screening = dict(
        screening_id=key, doc_id=doc.doc_id, company=meta.company, year=meta.year, covenant=meta.covenant or "",
        sector=sector, language=language or _main_language(doc), source=doc.source.path,
        status=doc.status.value, errors=[e.model_dump(mode="json") for e in doc.errors],
        pages=len(doc.pages), passages=len(doc.passages), completeness=sc.completeness if sc else None,
        model_version=doc.versions.model or "", taxonomy_version=doc.versions.taxonomy or "",
        encoder=doc.versions.encoder, pipeline_version=doc.versions.pipeline, screened_at=screened_at,
        thresholds=sc.thresholds if sc else None, reviews=doc.versions.reviews,
    )
    return {"screenings": [screening], "passages": [_passage_row(key, p) for p in doc.passages],
            "cells": list(_cell_rows(key, doc)), "footprint": _footprint_rows(key, doc)}


def _footprint_rows(key: str, doc: Document) -> list[dict]:
    if doc.footprint is None:
        return []
    gaps: dict[tuple[str, str], list[dict]] = {}
    for g in doc.footprint.gaps:
        gaps.setdefault(("country", g.country), []).append(g.model_dump())
        gaps.setdefault(("commodity", g.commodity), []).append(g.model_dump())
    return [{"screening_id": key, "type": e.type, "entity": e.id[:120], "name": e.name, "mentions": e.mentions,
             "pages": e.pages, "themes": e.themes, "steps": e.steps, "gap": gaps.get((e.type, e.id))}
            for e in {(e.type, e.id[:120]): e for e in doc.footprint.entities}.values()]

def _main_language(doc: Document) -> str | None:
    langs = [p.lang for p in doc.pages if p.lang]
    return max(set(langs), key=langs.count) if langs else None


def _passage_row(key: str, p) -> dict:
    lab = p.labels
    return {
        "screening_id": key, "passage_id": p.id, "page": p.page, "start": p.start, "end": p.end,
        "bbox": p.bbox.model_dump(), "heading": p.heading, "lang": p.lang, "text": p.text,
        "relevant": lab.decisions.relevant if lab else None,
        "themes": lab.decisions.themes if lab else None, "steps": lab.decisions.steps if lab else None,
        "bank_activity": lab.decisions.bank_activity if lab else None,
        "substantiated": lab.decisions.substantiated if lab else None,
        "needs_review": lab.needs_review if lab else None,
        "probabilities": ({"relevant": lab.relevant, "themes": lab.themes, "steps": lab.steps,
                           "bank_activity": lab.bank_activity, "substantiated": lab.substantiated} if lab else None),
        "review": lab.review.model_dump() if lab and lab.review else None,
    }


def _cell_rows(key: str, doc: Document):
    sc = doc.scorecard
    if sc is None:
        return
    grids = [("theme", sc.cells)] + ([("activity", sc.activities)] if sc.activities else [])
    for kind, grid in grids:
        for row, by_step in grid.items():
            for step, cell in by_step.items():
                yield {"screening_id": key, "kind": kind, "row": row, "step": step, "score": cell.score,
                       "n_evidence": cell.n_evidence, "n_substantiated": cell.n_substantiated,
                       "evidence": [e.model_dump(mode="json") for e in cell.evidence]}
