"""The review loop: a sheet of evidence passages for analysts, and importing their verdicts as labels.

`review_rows` lists every passage that is evidence in a cell once, the least certain first (flagged
`needs_review` first, then by the smallest distance between a deciding probability and its
threshold). `import_review_sheet` validates a filled sheet completely before writing anything, then
stores each verdict as a labelled passage (`pipeline.corpus.LabelledPassage` with a `review` record)
under the reviews folder: `imvo train` learns from them, and screening applies them
(`pipeline.verdicts`). Verdicts on evaluation-only reports, or on passages the corpus cannot hold
(other languages, very short text), go to `screening_only/` and never become training data.
Importing a passage again replaces its earlier verdict.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.corpus import LabelledPassage, ReviewRecord, is_evaluation_only
from pipeline.errors import ReviewError
from pipeline.export import ColumnSpec, format_sheet, load_columns, review_id
from pipeline.records import Records
from pipeline.report import write_atomic
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES, Taxonomy
from pipeline.verdicts import SCREENING_ONLY, ScreeningOnlyPassage, verdict_files

SHEET = "review"
VERDICT_COLUMNS = ("verdict", "themes", "steps", "bank_activity", "substantiated", "comment", "reviewer")
_NONE = {"none", "-", "geen"}
_YES = {"yes", "y", "true", "1", "ja", "j"}
_NO = {"no", "n", "false", "0", "nee"}


@dataclass
class Candidate:
    """A passage a verdict can name: its newest screening's labels and where it comes from."""

    review_id: str
    doc_sha256: str
    screening: dict
    passage: dict
    evidence_for: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return self.screening.get("filename") or Path(self.screening["source"] or "").name


def candidates(records: Records) -> dict[str, Candidate]:
    """Every passage of the records by review id; a report screened more than once gives its newest labels."""
    by_id = {s["screening_id"]: s for s in records.screenings}
    order = {sid: (s.get("screened_at") is not None, s.get("screened_at") or dt.datetime.min, i)
             for i, (sid, s) in enumerate(by_id.items())}
    out: dict[str, Candidate] = {}
    for p in sorted(records.passages, key=lambda p: order[p["screening_id"]]):
        s = by_id[p["screening_id"]]
        rid = review_id(s["doc_id"], p["passage_id"])
        out[rid] = Candidate(rid, s["doc_id"], s, p, out[rid].evidence_for if rid in out else [])
    for c in records.cells:
        s = by_id[c["screening_id"]]
        for e in c["evidence"]:
            cell = f"{s['covenant']}: {c['row']} x {c['step']}"
            cand = out.get(review_id(s["doc_id"], e["passage_id"]))
            if cand is not None and cell not in cand.evidence_for:
                cand.evidence_for.append(cell)
    return out


def margin(passage: dict, thresholds: dict | None) -> float | None:
    """Smallest distance between a deciding probability and its threshold; None without thresholds."""
    probs = passage.get("probabilities")
    if not probs or not thresholds:
        return None
    gaps = [abs(probs["relevant"] - thresholds["relevant"]["relevant"])]
    if passage["relevant"]:
        for head in ("themes", "steps"):
            gaps += [abs(probs[head][label] - thresholds[head][label]) for label in passage[head] or []
                     if label in probs[head] and label in thresholds[head]]
        gaps.append(abs(probs["substantiated"] - thresholds["substantiated"]["substantiated"]))
    return round(min(gaps), 4)


def _with_probabilities(labels: list[str] | None, probs: dict[str, float]) -> str:
    return ", ".join(f"{label} ({probs.get(label, 0):.2f})" for label in labels or [])


def review_rows(records: Records, *, include_reviewed: bool = False, limit: int | None = None) -> list[dict]:
    """One row per evidence passage, least certain first, with empty verdict columns."""
    rows = []
    for cand in candidates(records).values():
        p, s = cand.passage, cand.screening
        if not cand.evidence_for or (p.get("review") and not include_reviewed):
            continue
        probs = p.get("probabilities") or {}
        m = margin(p, s.get("thresholds"))
        rows.append({
            "review_id": cand.review_id, "file": cand.filename, "company": s["company"], "year": s["year"],
            "page": p["page"], "lang": p["lang"], "heading": p["heading"], "text": p["text"],
            "evidence_for": "; ".join(cand.evidence_for),
            "predicted_relevant": probs.get("relevant"),
            "predicted_themes": _with_probabilities(p["themes"], probs.get("themes", {})),
            "predicted_steps": _with_probabilities(p["steps"], probs.get("steps", {})),
            "predicted_bank_activity": _with_probabilities(p["bank_activity"], probs.get("bank_activity", {})),
            "predicted_substantiated": f"{'yes' if p['substantiated'] else 'no'} ({probs.get('substantiated', 0):.2f})",
            "needs_review": "yes" if p["needs_review"] else "no", "margin": m,
            **{c: None for c in VERDICT_COLUMNS},
        })
        if p.get("review"):
            r = p["review"]
            rows[-1]["comment"] = f"already {r['verdict']} by {r['reviewer']} on {r['date']}"
    rows.sort(key=lambda r: (r["needs_review"] != "yes", r["margin"] if r["margin"] is not None else 1.0,
                             str(r["company"]), r["year"] or 0, r["page"], r["review_id"]))
    return rows[:limit] if limit else rows


def label_table(taxonomy: Taxonomy) -> pd.DataFrame:
    """The ids an analyst may write in the themes, steps and bank_activity columns."""
    labels = taxonomy.labels
    rows = [{"column": column, "id": key, "name": d.name.en, "naam": d.name.nl, "definition": d.definition.en}
            for column, defs in (("themes", labels.themes), ("steps", labels.steps),
                                 ("bank_activity", labels.bank_activities)) for key, d in defs.items()]
    return pd.DataFrame(rows)


def write_review_sheet(rows: list[dict], out_dir: Path, taxonomy: Taxonomy, *, stem: str = "review_sheet",
                       spec: ColumnSpec | None = None) -> list[Path]:
    """`<stem>.xlsx` (sheets review, labels, columns; drop-downs for verdict and substantiated) and `<stem>.csv`."""
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = spec or load_columns()
    columns = [c.id for c in spec.review_sheet.columns]
    df = pd.DataFrame(rows, columns=columns)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = out_dir / f"{stem}.csv", out_dir / f"{stem}.xlsx"
    write_atomic(csv_path, df.to_csv(index=False))
    with pd.ExcelWriter(xlsx_path, engine="openpyxl") as xl:
        df.to_excel(xl, sheet_name=SHEET, index=False)
        ws = xl.sheets[SHEET]
        format_sheet(ws, df)
        last = max(len(df) + 1, 2)
        for col, options in (("verdict", spec.review_sheet.verdicts), ("substantiated", ["yes", "no"])):
            letter = ws.cell(1, columns.index(col) + 1).column_letter
            dv = DataValidation(type="list", formula1=f'"{",".join(options)}"', allow_blank=True,
                                error=f"choose one of: {', '.join(options)}", showErrorMessage=True)
            dv.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(dv)
        labels = label_table(taxonomy)
        labels.to_excel(xl, sheet_name="labels", index=False)
        format_sheet(xl.sheets["labels"], labels, wrap=("definition",))
        help_df = pd.DataFrame([{"column": c.id, "meaning": c.description} for c in spec.review_sheet.columns])
        help_df.to_excel(xl, sheet_name="columns", index=False)
        format_sheet(xl.sheets["columns"], help_df, wrap=("meaning",))
    return [xlsx_path, csv_path]


# -- reading and validating a filled sheet ---------------------------------------------------------
def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_review_sheet(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, values by column id) for every data row of an XLSX or CSV review sheet."""
    path = Path(path)
    if not path.is_file():
        raise ReviewError(f"{path}: file not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
            table = [list(r) for r in ws.iter_rows(values_only=True)]
            wb.close()
        elif path.suffix.lower() in (".csv", ".txt"):
            text = path.read_text(encoding="utf-8-sig")
            try:  # the delimiter only: sniffing a header line without quotes turns off doubled-quote escapes
                delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t").delimiter
            except csv.Error:
                delimiter = ","
            # not splitlines(): a quoted passage may hold line breaks (table rows)
            table = list(csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter))
        else:
            raise ReviewError(f"{path}: a review sheet is an .xlsx or .csv file")
    except ReviewError:
        raise
    except Exception as e:  # openpyxl and csv raise many kinds for a damaged file
        raise ReviewError(f"{path}: cannot read the review sheet ({type(e).__name__}: {e})") from None
    if not table:
        raise ReviewError(f"{path}: the sheet is empty")
    header = [_cell(h).lower() for h in table[0]]
    missing = [c for c in ("review_id", "verdict", "themes", "steps", "substantiated", "reviewer") if c not in header]
    if missing:
        raise ReviewError(f"{path}: the sheet lacks the column(s) {', '.join(missing)}; "
                          "start from a sheet written by `imvo review export`")
    rows = []
    for n, values in enumerate(table[1:], 2):
        row = {h: _cell(v) for h, v in zip(header, values) if h}
        if any(row.values()):
            rows.append((n, row))
    return rows


@dataclass
class ParsedVerdict:
    row: int
    candidate: Candidate
    verdict: str
    reviewer: str
    comment: str | None
    relevant: bool
    themes: list[str]
    steps: list[str]
    bank_activity: list[str]
    substantiated: bool


def _label_list(value: str, known: tuple[str, ...], column: str, problems: list[str]) -> list[str] | None:
    """None for an empty cell, [] for 'none', else the ids (each checked against the taxonomy)."""
    if not value:
        return None
    if value.lower() in _NONE:
        return []
    ids = [v.strip().lower() for v in re.split(r"[,;\n]+", value) if v.strip()]
    unknown = [v for v in ids if v not in known]
    if unknown:
        problems.append(f"unknown {column} {', '.join(repr(u) for u in unknown)} (allowed: {', '.join(known)})")
    return list(dict.fromkeys(ids))


def _parse_row(row: dict[str, str], cands: dict[str, Candidate], verdicts: list[str]) -> tuple[ParsedVerdict | None, list[str]]:
    problems: list[str] = []
    verdict = row.get("verdict", "").lower()
    cand = cands.get(row.get("review_id", ""))
    if not row.get("review_id"):
        problems.append("no review_id")
    elif cand is None:
        problems.append(f"unknown review_id {row['review_id']!r} (not a passage of the screened reports given)")
    if verdict not in verdicts:
        problems.append(f"verdict {row.get('verdict')!r} is not one of {', '.join(verdicts)}")
    if not row.get("reviewer"):
        problems.append("no reviewer")
    themes = _label_list(row.get("themes", ""), THEMES, "theme", problems)
    steps = _label_list(row.get("steps", ""), STEPS, "step", problems)
    banks = _label_list(row.get("bank_activity", ""), BANK_ACTIVITIES, "bank_activity", problems)
    sub_text = row.get("substantiated", "").lower()
    substantiated = True if sub_text in _YES else False if sub_text in _NO else None
    if sub_text and substantiated is None:
        problems.append(f"substantiated {row['substantiated']!r} is not yes or no")
    given = [v is not None for v in (themes, steps, banks, substantiated)]
    if verdict in ("accept", "reject") and any(given):
        problems.append(f"{verdict} takes no labels; use 'correct' to give labels")
    if verdict == "correct" and not any(given):
        problems.append("correct needs the right labels in themes, steps, bank_activity or substantiated")
    if problems or cand is None:
        return None, problems
    p = cand.passage
    if verdict == "reject":
        labels = dict(relevant=False, themes=[], steps=[], bank_activity=[], substantiated=False)
    elif verdict == "accept":
        labels = dict(relevant=bool(p["relevant"]), themes=list(p["themes"] or []), steps=list(p["steps"] or []),
                      bank_activity=list(p["bank_activity"] or []), substantiated=bool(p["substantiated"]))
    else:
        labels = dict(relevant=True, themes=themes if themes is not None else list(p["themes"] or []),
                      steps=steps if steps is not None else list(p["steps"] or []),
                      bank_activity=banks if banks is not None else list(p["bank_activity"] or []),
                      substantiated=substantiated if substantiated is not None else bool(p["substantiated"]))
    return ParsedVerdict(row=0, candidate=cand, verdict=verdict, reviewer=row["reviewer"],
                         comment=row.get("comment") or None, **labels), []


def validate_sheet(rows: list[tuple[int, dict[str, str]]], cands: dict[str, Candidate], *, source: Path,
                   spec: ColumnSpec | None = None) -> list[ParsedVerdict]:
    """Every row with a verdict, parsed; any invalid row raises one error that lists them all."""
    spec = spec or load_columns()
    parsed, problems, seen = [], [], {}
    for n, row in rows:
        if not any(row.get(c) for c in VERDICT_COLUMNS if c != "comment"):
            continue  # not reviewed
        rid = row.get("review_id", "")
        if rid and rid in seen:
            problems.append(f"row {n}: review_id {rid} already has a verdict in row {seen[rid]}")
            continue
        seen[rid] = n
        verdict, row_problems = _parse_row(row, cands, spec.review_sheet.verdicts)
        problems += [f"row {n}: {p}" for p in row_problems]
        if verdict is not None:
            verdict.row = n
            parsed.append(verdict)
    if problems:
        raise ReviewError(f"{source}: {len({p.split(':')[0] for p in problems})} invalid row(s); nothing was imported:\n"
                          + "\n".join(f"  {p}" for p in problems[:100]))
    return parsed


# -- writing verdicts ------------------------------------------------------------------------------
def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "reviewer"


def screening_only_reason(p: LabelledPassage | ScreeningOnlyPassage) -> str | None:
    """Why a verdict may not train a model, or None when it may."""
    if is_evaluation_only(p.source):
        return "evaluation-only report"
    if p.lang not in ("en", "nl"):
        return f"language {p.lang!r} (the corpus is English and Dutch)"
    if len(p.text) < 10:
        return "passage shorter than 10 characters"
    return None


def verdict_passage(v: ParsedVerdict, date: str) -> ScreeningOnlyPassage:
    c, p = v.candidate, v.candidate.passage
    return ScreeningOnlyPassage(
        id=f"review-{c.review_id}", text=p["text"], lang=p["lang"] or "unknown", relevant=v.relevant, themes=v.themes,
        steps=v.steps, bank_activity=v.bank_activity, substantiated=v.substantiated, source=c.filename,
        page=p["page"], labeller=f"review:{v.reviewer}", heading=p["heading"], date=date,
        review=ReviewRecord(review_id=c.review_id, verdict=v.verdict, doc_sha256=c.doc_sha256,
                            passage_id=p["passage_id"], comment=v.comment),
    )


@dataclass
class ImportSummary:
    verdicts: dict[str, int]
    training: int
    screening_only: dict[str, int]
    replaced: int
    skipped_rows: int
    written: list[Path]


def _review_id_of(line: str) -> str | None:
    return (json.loads(line).get("review") or {}).get("review_id")


def write_verdicts(passages: list[ScreeningOnlyPassage], folder: Path, date: str) -> tuple[list[Path], int, dict[str, int]]:
    """Write verdicts into `folder` (training) or `folder/screening_only`, one file per date and reviewer;
    earlier verdicts on the same passages are removed from every file. Returns (files, replaced, reasons)."""
    folder = Path(folder)
    new_ids = {p.review.review_id for p in passages}
    files: dict[Path, list[str]] = {}
    replaced = 0
    training, screening_only = verdict_files(folder)
    for path in training + screening_only:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        kept = [ln for ln in lines if _review_id_of(ln) not in new_ids]
        if len(kept) != len(lines):
            replaced += len(lines) - len(kept)
            files[path] = kept
    reasons: dict[str, int] = {}
    for p in passages:
        reason = screening_only_reason(p)
        target = folder / (SCREENING_ONLY if reason else "") / f"{date}_{_slug(p.labeller.removeprefix('review:'))}.jsonl"
        if reason:
            reasons[reason] = reasons.get(reason, 0) + 1
        if target not in files:
            files[target] = ([ln for ln in target.read_text(encoding="utf-8").splitlines() if ln.strip()]
                             if target.exists() else [])
        files[target].append(p.model_dump_json(exclude_none=True))
    written = []
    for path, lines in sorted(files.items()):
        if lines:
            write_atomic(path, "\n".join(lines) + "\n")
            written.append(path)
        else:
            path.unlink()
    return written, replaced, reasons


def import_review_sheet(sheet: Path, records: Records, *, folder: Path, date: str | None = None) -> ImportSummary:
    """Validate `sheet` against the screened passages in `records`, then store its verdicts under `folder`."""
    rows = read_review_sheet(sheet)
    parsed = validate_sheet(rows, candidates(records), source=Path(sheet))
    date = date or dt.date.today().isoformat()
    passages = [verdict_passage(v, date) for v in parsed]
    for p in passages:
        if screening_only_reason(p) is None:
            LabelledPassage.model_validate(p.model_dump())  # training files must hold valid corpus lines
    written, replaced, reasons = write_verdicts(passages, folder, date) if passages else ([], 0, {})
    counts = {v: sum(1 for p in parsed if p.verdict == v) for v in ("accept", "reject", "correct")}
    return ImportSummary(verdicts=counts, training=len(passages) - sum(reasons.values()), screening_only=reasons,
                         replaced=replaced, skipped_rows=len(rows) - len(parsed), written=written)
