"""HTML views of screening results: the scorecard of one report and the benchmark page of a covenant.

Both are single self-contained files (inline CSS and a few lines of inline JavaScript, nothing from
the network), so they open on an offline laptop. Templates live in `pipeline/templates/` and are
rendered by Jinja2 with autoescaping on: every string that came from a PDF (quotes, company names,
file names, supplier names) is HTML-escaped, so a report containing `<script>` renders as text.
Evidence is rendered as hidden, escaped HTML blocks that a click on a heatmap cell reveals (the CSS
`:target` rule does it without JavaScript too, and printing shows every block); no data is handed to
the script. UI strings are data: `corpora/ui/<lang>.yaml`; theme, step and activity names come from
the taxonomy (`corpora/taxonomy/labels.yaml`, English and Dutch).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import quote

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipeline.document import Cell, Document, Evidence
from pipeline.errors import ImvoError
from pipeline.taxonomy import Taxonomy

LANGUAGES = ("en", "nl")
TEMPLATES = Path(__file__).resolve().parent / "templates"
FOOTPRINT_ENTITIES = 200  # countries, commodities, schemes listed at most
FOOTPRINT_PLACES = 100  # suppliers and sites listed at most


class UI(dict):
    """UI strings of one language; `ui.t(key, **values)` fills the placeholders."""

    lang: str = "en"

    def t(self, key: str, **values: object) -> str:
        return self[key].format(**values) if values else self[key]


def load_ui(lang: str, corpora: Path) -> UI:
    """The UI strings for `lang` from `corpora/ui/<lang>.yaml`; a clear error for an unknown language."""
    if lang not in LANGUAGES:
        raise ImvoError(f"Unknown UI language {lang!r}; choose one of {', '.join(LANGUAGES)}.")
    path = Path(corpora) / "ui" / f"{lang}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ImvoError(f"UI strings {path} cannot be read: {e}") from e
    ui = UI({str(k): str(v) for k, v in data.items()})
    ui.lang = lang
    return ui


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, **context: object) -> str:
    return _environment().get_template(template).render(**context)


def relative_href(target: Path | str, html_dir: Path) -> str | None:
    """Relative, URL-quoted href from a page in `html_dir` to a file (the source PDF, a scorecard), or
    None when the file does not exist.

    Relative, so the links keep working when the page and the file move together (e.g. the PDF beside
    the HTML, the usual way to send both); a file that does not exist gets no link at all.
    """
    target = Path(target)
    if not target.is_file():
        return None
    try:
        rel = os.path.relpath(target.resolve(), Path(html_dir).resolve())
    except ValueError:  # another drive on Windows: no relative path exists
        return None
    return quote(Path(rel).as_posix(), safe="/")


# -- scorecard --------------------------------------------------------------------------------------


@dataclass
class EvidenceView:
    quote: str
    page: int
    href: str | None
    probabilities: list[tuple[str, float]]
    substantiated: bool
    needs_review: bool
    review: str | None = None
    verdict: str | None = None


@dataclass
class Panel:
    """The evidence of one clickable cell: a hidden block that a click on the cell reveals."""

    id: str
    heading: str
    evidence: list[EvidenceView]
    note: str | None = None  # when fewer passages are quoted than the cell counts


@dataclass
class CellView:
    score: int
    n: int | None  # passages behind the cell; None where a count would mislead (best-of-row cells)
    title: str
    panel: str | None = None


@dataclass
class Grid:
    """One heatmap: rows (themes or bank activities) x steps, with the best score per row and column."""

    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[CellView], int]]
    column_best: list[CellView] = field(default_factory=list)


def _name(taxonomy: Taxonomy, kind: str, key: str, lang: str) -> str:
    defs = getattr(taxonomy.labels, kind)
    return getattr(defs[key].name, lang) if key in defs else key


def _evidence_view(ev: Evidence, ui: UI, pdf_href: str | None) -> EvidenceView:
    probs = [(ui["prob_relevant"], ev.relevant)]
    if ev.theme is not None:
        probs.append((ui["prob_theme"], ev.theme))
    probs += [(ui["prob_step"], ev.step), (ui["prob_substantiated"], ev.substantiated)]
    view = EvidenceView(quote=ev.quote, page=ev.page, href=f"{pdf_href}#page={ev.page}" if pdf_href else None,
                        probabilities=probs, substantiated=ev.is_substantiated, needs_review=ev.needs_review)
    if ev.review is not None:
        view.verdict = ev.review.verdict
        view.review = ui.t(f"review_{ev.review.verdict}", reviewer=ev.review.reviewer, date=ev.review.date)
    return view


def _grid(cells: dict[str, dict[str, Cell]], rows: list[str], steps: list[str], *, kind: str, row_kind: str,
          taxonomy: Taxonomy, ui: UI, pdf_href: str | None, panels: list[Panel]) -> Grid:
    """Heatmap rows for `cells`, appending one evidence panel per cell that has evidence."""
    step_names = [_name(taxonomy, "steps", s, ui.lang) for s in steps]
    grid = Grid(row_header=ui["theme"] if kind == "theme" else ui["activity"], columns=step_names, rows=[])
    for row in rows:
        row_name, views = _name(taxonomy, row_kind, row, ui.lang), []
        for step, step_name in zip(steps, step_names):
            cell = cells[row][step]
            view = CellView(score=cell.score, n=cell.n_evidence,
                            title=f"{row_name} × {step_name}: {ui[f'score_{cell.score}']}, "
                                  f"{ui.t('n_passages', n=cell.n_evidence)}")
            if cell.evidence:
                view.panel = f"ev-{kind}-{row}-{step}"
                shown = len(cell.evidence)
                panels.append(Panel(view.panel, ui.t("cell_heading", row=row_name, step=step_name,
                                                     score_label=ui[f"score_{cell.score}"], score=cell.score,
                                                     n=cell.n_evidence, k=cell.n_substantiated),
                                    [_evidence_view(e, ui, pdf_href) for e in cell.evidence],
                                    ui.t("shown_of", shown=shown, n=cell.n_evidence) if shown < cell.n_evidence else None))
            views.append(view)
        grid.rows.append((row_name, views, max(v.score for v in views)))
    return grid


def main_language(doc: Document) -> str | None:
    langs = [p.lang for p in doc.pages if p.lang]
    return max(sorted(set(langs)), key=langs.count) if langs else None


def _review_counts(doc: Document) -> dict[str, int]:
    """Distinct evidence passages in scored cells: how many an analyst reviewed, how many are flagged."""
    seen: dict[str, Evidence] = {}
    grids = [doc.scorecard.cells] + ([doc.scorecard.activities] if doc.scorecard.activities else [])
    for grid in grids:
        for by_step in grid.values():
            for cell in by_step.values():
                for ev in cell.evidence:
                    seen.setdefault(ev.passage_id, ev)
    return {"total": len(seen), "reviewed": sum(e.review is not None for e in seen.values()),
            "flagged": sum(e.needs_review and e.review is None for e in seen.values())}


def _footprint(doc: Document, taxonomy: Taxonomy, ui: UI) -> dict | None:
    fp = doc.footprint
    if fp is None or not (fp.entities or fp.gaps):
        return None
    shown = [e for e in fp.entities if e.type not in ("site", "supplier")][:FOOTPRINT_ENTITIES]
    shown += [e for e in fp.entities if e.type in ("site", "supplier")][:FOOTPRINT_PLACES]
    rows = [{"type": ui.get(f"type_{e.type}", e.type), "name": e.name, "mentions": e.mentions,
             "pages": ", ".join(map(str, e.pages[:12])) + (" …" if len(e.pages) > 12 else ""),
             "themes": ", ".join(_name(taxonomy, "themes", t, ui.lang) for t in e.themes),
             "steps": ", ".join(_name(taxonomy, "steps", s, ui.lang) for s in e.steps)} for e in shown]
    gaps = [{"message": g.message, "pages": ", ".join(map(str, g.pages[:10]))} for g in fp.gaps]
    return {"rows": rows, "gaps": gaps, "source": fp.source, "hidden": len(fp.entities) - len(shown)}


def _thresholds(doc: Document, taxonomy: Taxonomy, lang: str) -> list[tuple[str, str, float]]:
    kinds = {"themes": "themes", "steps": "steps", "bank_activity": "bank_activities"}
    return [(head, _name(taxonomy, kinds[head], label, lang) if head in kinds else label, value)
            for head, by_label in doc.scorecard.thresholds.items() for label, value in by_label.items()]


def scorecard_html(doc: Document, taxonomy: Taxonomy, *, ui: UI | None = None, pdf_href: str | None = None) -> str:
    """The scorecard of one screened report as one self-contained HTML page.

    `pdf_href` is the (already URL-quoted) link to the source PDF; page numbers link to
    `pdf_href#page=N` when it is given and are plain text otherwise.
    """
    if doc.scorecard is None:
        raise ImvoError(f"{doc.source.filename} has no scorecard (status {doc.status.value}); nothing to show.")
    ui = ui or load_ui("en", taxonomy.root)
    sc, lang = doc.scorecard, ui.lang
    cov = taxonomy.covenant(sc.covenant)
    panels: list[Panel] = []
    grid = _grid(sc.cells, sc.themes_scored, sc.steps_scored, kind="theme", row_kind="themes", taxonomy=taxonomy,
                 ui=ui, pdf_href=pdf_href, panels=panels)
    for step, name in zip(sc.steps_scored, grid.columns):
        general = sc.steps[step].general_evidence
        view = CellView(score=sc.steps[step].score, n=None, title=ui.t("general_title", step=name, n=len(general)))
        if general:
            view.panel = f"ev-general-{step}"
            panels.append(Panel(view.panel, ui.t("general_heading", step=name),
                                [_evidence_view(e, ui, pdf_href) for e in general]))
        grid.column_best.append(view)
    activities = None
    if sc.activities:
        activities = _grid(sc.activities, list(sc.activities), sc.steps_scored, kind="activity",
                           row_kind="bank_activities", taxonomy=taxonomy, ui=ui, pdf_href=pdf_href, panels=panels)
    meta = doc.source.metadata
    return render(
        "scorecard.html.j2", ui=ui, lang=lang, doc=doc, sc=sc,
        title=meta.company or meta.title or doc.source.filename, year=meta.year,
        covenant=getattr(cov.name, lang), language=main_language(doc), status=ui[f"status_{doc.status.value}"],
        themes=[_name(taxonomy, "themes", t, lang) for t in sc.themes_scored], steps=grid.columns,
        grid=grid, activities=activities, panels=panels, counts=_review_counts(doc), pdf_href=pdf_href,
        footprint=_footprint(doc, taxonomy, ui), thresholds=_thresholds(doc, taxonomy, lang),
        no_text_layer=", ".join(str(p.number) for p in doc.pages if not p.text_layer),
        errors=list(doc.errors), scores=(0, 1, 2),
    )


# -- benchmark page ---------------------------------------------------------------------------------


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def arrow(current: float | None, previous: float | None, *, tolerance: float = 0.05) -> str | None:
    """'up', 'down' or 'same' against the previous year; None when there is no previous value."""
    if current is None or previous is None:
        return None
    if current > previous + tolerance:
        return "up"
    if current < previous - tolerance:
        return "down"
    return "same"


def _heat_rows(table, columns: list[str], previous: dict[tuple[str, str], float], companies: list[str],
               has_previous: set[str]) -> list[tuple[str, list[tuple[int | None, str | None]]]]:
    indexed = table.set_index("company")
    rows = []
    for company in companies:
        cells = []
        for col in columns:
            score = _number(indexed.at[company, col]) if col in indexed.columns and company in indexed.index else None
            prev = previous.get((company, col), 0.0) if company in has_previous else None
            cells.append((None if score is None else int(score), arrow(score, prev)))
        rows.append((company, cells))
    return rows


def benchmark_html(tables: dict, *, taxonomy: Taxonomy, covenant: str, year: int, ui: UI | None = None,
                   links: dict[str, str] | None = None) -> str:
    """The benchmark page of one covenant and year: ranking, company x theme and company x step heatmaps,
    arrows against the previous year where that year's screening exists, links to the scorecards."""
    ui = ui or load_ui("en", taxonomy.root)
    links = links or {}
    cov = taxonomy.covenant(covenant)
    ranking, yoy = tables["ranking"], tables["year_over_year"]
    companies = [str(c) for c in ranking["company"]]
    has_previous = {str(r["company"]) for _, r in ranking.iterrows() if _number(r["previous_completeness"]) is not None}
    rows = []
    for _, r in ranking.iterrows():
        company, completeness = str(r["company"]), _number(r["completeness"]) or 0.0
        previous = _number(r["previous_completeness"])
        rows.append({"rank": int(r["rank"]), "company": company, "href": links.get(company),
                     "completeness": completeness, "previous": previous,
                     "change": None if previous is None else completeness - previous,
                     "arrow": arrow(completeness, previous), "status": ui.get(f"status_{r['status']}", r["status"]),
                     "document": Path(str(r["document"])).name})
    prev_theme = {(str(k[0]), str(k[1])): float(v) for k, v in yoy.groupby(["company", "theme"])["previous_score"].max().items()}
    prev_step = {(str(k[0]), str(k[1])): float(v) for k, v in yoy.groupby(["company", "step"])["previous_score"].max().items()}
    themes = [t for t in cov.themes if t in tables["themes"].columns]
    steps = [s for s in cov.steps if s in tables["steps"].columns]
    return render(
        "benchmark.html.j2", ui=ui, lang=ui.lang, covenant=getattr(cov.name, ui.lang), year=year, previous=year - 1,
        ranking=rows, scores=(0, 1, 2),
        themes=[_name(taxonomy, "themes", t, ui.lang) for t in themes],
        steps=[_name(taxonomy, "steps", s, ui.lang) for s in steps],
        theme_rows=_heat_rows(tables["themes"], themes, prev_theme, companies, has_previous),
        step_rows=_heat_rows(tables["steps"], steps, prev_step, companies, has_previous),
        links=links,
    )
