"""Stage 5, score: passage decisions -> the theme x step completeness matrix of one covenant's rubric.

A cell (theme, step) is 2 when enough relevant passages decided for that theme and step are
substantiated, 1 when such passages exist but only mention it, 0 otherwise (thresholds from the
model, counts from the rubric file). Step and theme scores are the best cell in their row/column;
completeness is the weighted mean cell score on a 0-100 scale. Every non-zero cell lists its
evidence: quote, page, box and probabilities.
"""

from __future__ import annotations

from pipeline.document import Cell, Document, Evidence, Passage, Scorecard, StepScore, ThemeScore
from pipeline.heads import HeadSet
from pipeline.taxonomy import Covenant, Rubric


def _evidence(p: Passage, theme: str | None, step: str) -> Evidence:
    lab = p.labels
    return Evidence(
        passage_id=p.id, page=p.page, quote=p.text, bbox=p.bbox, relevant=lab.relevant,
        theme=lab.themes[theme] if theme else None, step=lab.steps[step], substantiated=lab.substantiated,
        is_substantiated=lab.decisions.substantiated, needs_review=lab.needs_review, review=lab.review,
    )


def _rank(e: Evidence) -> tuple:
    joint = e.relevant * e.step * (e.theme if e.theme is not None else 1.0)
    return (not e.is_substantiated, e.needs_review, -joint, e.page)


def cells_of(themes: list[str], steps: list[str], covenant: Covenant) -> list[tuple[str, str]]:
    """The (theme, step) cells of `covenant` that a relevant passage decided for `themes` and `steps` counts in."""
    return [(t, s) for s in steps if s in covenant.steps for t in themes if t in covenant.themes]


def cell_value(n: int, n_sub: int, rubric: Rubric) -> int:
    """A cell's score from its number of evidence passages and of substantiated ones."""
    if n >= rubric.min_evidence and n_sub >= rubric.substantiated_evidence:
        return rubric.substantiated
    if n >= rubric.min_evidence:
        return rubric.mentioned
    return 0


def completeness(cells: dict[tuple[str, str], int], covenant: Covenant) -> float:
    """Weighted mean cell score of the rubric, 0-100."""
    weight_sum = sum(covenant.theme_weight(t) * covenant.step_weight(s) for t in covenant.themes for s in covenant.steps)
    achieved = sum(covenant.theme_weight(t) * covenant.step_weight(s) * cells.get((t, s), 0) / covenant.rubric.substantiated
                   for t in covenant.themes for s in covenant.steps)
    return round(100 * achieved / weight_sum, 1)


def _cell(evidence: list[Evidence], covenant: Covenant) -> Cell:
    rubric = covenant.rubric
    n = len(evidence)
    n_sub = sum(e.is_substantiated for e in evidence)
    ranked = sorted(evidence, key=_rank)[: rubric.evidence_per_cell]
    return Cell(score=cell_value(n, n_sub, rubric), evidence=ranked, n_evidence=n, n_substantiated=n_sub)


def score(doc: Document, *, covenant: Covenant, heads: HeadSet, taxonomy_version: str) -> Document:
    """Fill `doc.scorecard` for `covenant` from the passages' decisions."""
    doc.versions.taxonomy = taxonomy_version
    if doc.failed:
        return doc
    themes, steps = covenant.themes, covenant.steps
    found: dict[str, dict[str, list[Evidence]]] = {t: {s: [] for s in steps} for t in themes}
    general: dict[str, list[Evidence]] = {s: [] for s in steps}
    by_activity: dict[str, dict[str, list[Evidence]]] = {a: {s: [] for s in steps} for a in heads.labels("bank_activity")}
    for p in doc.passages:
        if p.labels is None or not p.labels.decisions.relevant:
            continue
        d = p.labels.decisions
        p_steps = [s for s in d.steps if s in general]
        p_themes = [t for t in d.themes if t in found]
        for theme, step in cells_of(d.themes, d.steps, covenant):
            found[theme][step].append(_evidence(p, theme, step))
        for step in p_steps:
            if not p_themes:
                general[step].append(_evidence(p, None, step))
            for activity in d.bank_activity:
                by_activity[activity][step].append(_evidence(p, None, step))

    cells = {t: {s: _cell(found[t][s], covenant) for s in steps} for t in themes}
    cap = covenant.rubric.evidence_per_cell
    doc.scorecard = Scorecard(
        covenant=covenant.id,
        covenant_version=covenant.version,
        themes_scored=list(themes),
        steps_scored=list(steps),
        cells=cells,
        steps={s: StepScore(score=max(cells[t][s].score for t in themes),
                            general_evidence=sorted(general[s], key=_rank)[:cap]) for s in steps},
        themes={t: ThemeScore(score=max(cells[t][s].score for s in steps)) for t in themes},
        completeness=completeness({(t, s): cells[t][s].score for t in themes for s in steps}, covenant),
        activities=({a: {s: _cell(by_activity[a][s], covenant) for s in steps} for a in by_activity}
                    if covenant.rubric.score_bank_activities else None),
        thresholds={
            name: {label: heads.threshold(name, label) for label in heads.labels(name)}
            for name in ("relevant", "themes", "steps", "bank_activity", "substantiated")
        },
    )
    return doc
