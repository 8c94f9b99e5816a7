"""Taxonomy and rubric as data: shared label definitions plus one YAML file per covenant.

`corpora/taxonomy/labels.yaml` defines every theme, step and bank activity once (definitions and
descriptive phrases in English and Dutch). Each `corpora/covenants/<id>.yaml` names the themes its
rubric scores and the scoring rules. Both are validated on load; adding a covenant is a new file.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.errors import TaxonomyError

THEMES: tuple[str, ...] = (
    "discrimination_gender",
    "child_labour",
    "forced_labour",
    "freedom_of_association",
    "living_wage",
    "health_safety",
    "raw_materials",
    "water_chemicals_energy",
    "animal_welfare",
    "land_communities",
)
STEPS: tuple[str, ...] = (
    "embed_policy",
    "identify_assess",
    "prevent_mitigate",
    "track",
    "communicate",
    "remediate",
)
BANK_ACTIVITIES: tuple[str, ...] = ("corporate_lending", "project_finance")

DEFAULT_CORPORA = Path(__file__).resolve().parent.parent / "corpora"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    en: str
    nl: str


class BilingualList(_Strict):
    en: list[str] = Field(min_length=1)
    nl: list[str] = Field(min_length=1)


class LabelDef(_Strict):
    name: Bilingual
    definition: Bilingual
    phrases: BilingualList
    oecd: str | None = None


class TextDef(_Strict):
    definition: Bilingual


class Labels(_Strict):
    """The shared label set (`labels.yaml`)."""

    version: str
    themes: dict[str, LabelDef]
    steps: dict[str, LabelDef]
    bank_activities: dict[str, LabelDef]
    relevant: TextDef
    substantiated: TextDef

    @model_validator(mode="after")
    def _known_ids(self) -> Labels:
        for kind, got, want in (
            ("themes", tuple(self.themes), THEMES),
            ("steps", tuple(self.steps), STEPS),
            ("bank_activities", tuple(self.bank_activities), BANK_ACTIVITIES),
        ):
            if got != want:
                raise ValueError(f"{kind} must be exactly {list(want)} in this order, got {list(got)}")
        return self


class Rubric(_Strict):
    """How cells, step/theme scores and the completeness figure are derived."""

    mentioned: Literal[1] = 1
    substantiated: Literal[2] = 2
    min_evidence: int = Field(1, ge=1, description="passages needed before a cell counts as disclosed")
    substantiated_evidence: int = Field(
        1, ge=1, description="substantiated passages needed before a cell scores 2"
    )
    evidence_per_cell: int = Field(5, ge=1, description="evidence quotes listed per cell")
    step_weights: dict[str, float] = Field(default_factory=dict)
    theme_weights: dict[str, float] = Field(default_factory=dict)
    score_bank_activities: bool = False


class Covenant(_Strict):
    """One covenant file (`corpora/covenants/<id>.yaml`)."""

    id: str
    version: str
    name: Bilingual
    description: Bilingual
    sources: list[str] = Field(min_length=1)
    themes: list[str] = Field(min_length=1)
    steps: list[str] = Field(default_factory=lambda: list(STEPS))
    rubric: Rubric = Field(default_factory=Rubric)

    @model_validator(mode="after")
    def _check(self) -> Covenant:
        unknown = [t for t in self.themes if t not in THEMES]
        if unknown:
            raise ValueError(f"unknown theme ids {unknown}; known: {list(THEMES)}")
        unknown = [s for s in self.steps if s not in STEPS]
        if unknown:
            raise ValueError(f"unknown step ids {unknown}; known: {list(STEPS)}")
        if len(set(self.themes)) != len(self.themes) or len(set(self.steps)) != len(self.steps):
            raise ValueError("themes and steps must not repeat")
        bad = set(self.rubric.step_weights) - set(self.steps)
        bad |= set(self.rubric.theme_weights) - set(self.themes)
        if bad:
            raise ValueError(f"rubric weights name labels the covenant does not score: {sorted(bad)}")
        if any(w <= 0 for w in [*self.rubric.step_weights.values(), *self.rubric.theme_weights.values()]):
            raise ValueError("rubric weights must be positive")
        return self

    def step_weight(self, step: str) -> float:
        return self.rubric.step_weights.get(step, 1.0)

    def theme_weight(self, theme: str) -> float:
        return self.rubric.theme_weights.get(theme, 1.0)


class Taxonomy(BaseModel):
    """Labels plus every covenant found, with a content hash for provenance."""

    model_config = ConfigDict(frozen=True)

    labels: Labels
    covenants: dict[str, Covenant]
    sha256: str
    root: Path

    @cached_property
    def version(self) -> str:
        return f"{self.labels.version}+{self.sha256[:12]}"

    def covenant(self, covenant_id: str) -> Covenant:
        try:
            return self.covenants[covenant_id]
        except KeyError:
            raise TaxonomyError(
                f"Unknown covenant {covenant_id!r}. Known: {', '.join(sorted(self.covenants))}. "
                f"Add a file {self.root / 'covenants' / (covenant_id + '.yaml')} to define it."
            ) from None


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise TaxonomyError(f"{path} is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise TaxonomyError(f"{path} must hold a mapping at the top level")
    return data


def load_taxonomy(corpora: Path | None = None) -> Taxonomy:
    """Load and validate `labels.yaml` and every covenant file under `corpora`."""
    root = Path(corpora) if corpora else DEFAULT_CORPORA
    labels_path = root / "taxonomy" / "labels.yaml"
    digest = hashlib.sha256()
    try:
        labels = Labels.model_validate(_read_yaml(labels_path))
    except FileNotFoundError as e:
        raise TaxonomyError(f"Label definitions not found at {labels_path}") from e
    except ValueError as e:
        raise TaxonomyError(f"{labels_path} does not match the label schema:\n{e}") from e
    digest.update(labels_path.read_bytes())
    covenants: dict[str, Covenant] = {}
    for path in sorted((root / "covenants").glob("*.yaml")):
        try:
            cov = Covenant.model_validate(_read_yaml(path))
        except ValueError as e:
            raise TaxonomyError(f"{path} does not match the covenant schema:\n{e}") from e
        if cov.id != path.stem:
            raise TaxonomyError(f"{path}: id {cov.id!r} must equal the file name {path.stem!r}")
        covenants[cov.id] = cov
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    if not covenants:
        raise TaxonomyError(f"No covenant files found in {root / 'covenants'}")
    return Taxonomy(labels=labels, covenants=covenants, sha256=digest.hexdigest(), root=root)
