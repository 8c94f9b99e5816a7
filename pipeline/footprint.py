"""Supply-chain footprint: the countries, commodities, certification schemes, suppliers and sites a report
names, and where it names a high-risk country/commodity pair without due diligence on the related risk.

Countries (with adjectives and sourcing regions, English and Dutch), commodities and schemes are found
by a spaCy entity ruler built from the gazetteers in `corpora/gazetteers/`; named suppliers and
production sites come from tables whose header says which column holds them. Entity spans index into
the page text, like passage spans. Runs after `classify`, because the footprint shows which themes and
steps the passages naming an entity were classified under.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from pipeline.document import Document, Entity, Footprint, FootprintGap, FootprintRow
from pipeline.settings import REPO_ROOT

GAZETTEERS = REPO_ROOT / "corpora" / "gazetteers"
DUE_DILIGENCE_STEPS = ("identify_assess", "prevent_mitigate")
_SITE_HEADER = re.compile(r"^(mill|factory|site|facility|plant|production (site|location)|fabriek|locatie|"
                          r"productielocatie)( name| naam)?$|^name$", re.IGNORECASE)
_SUPPLIER_HEADER = re.compile(r"^((direct |tier[- ]?\d )?suppliers?|vendors?|leveranciers?)( name| naam)?$|"
                              r"^parent( \(group\))?( company)?( name)?$", re.IGNORECASE)
_COUNTRY_HEADER = re.compile(r"^(country|land|location)$", re.IGNORECASE)


@dataclass(frozen=True)
class Gazetteer:
    countries: dict[str, str]  # code -> display name
    commodities: tuple[str, ...]
    schemes: tuple[str, ...]
    pairs: tuple[tuple[str, str, tuple[str, ...]], ...]  # (country code, commodity, risks)
    patterns: tuple[dict, ...]
    source: str


@lru_cache(maxsize=4)
def load_gazetteer(folder: Path = GAZETTEERS) -> Gazetteer:
    """Read the gazetteer files into entity-ruler patterns (validated: every pair names known ids)."""
    countries = yaml.safe_load((folder / "countries.yaml").read_text(encoding="utf-8"))
    commodities = yaml.safe_load((folder / "commodities.yaml").read_text(encoding="utf-8"))["commodities"]
    schemes = yaml.safe_load((folder / "schemes.yaml").read_text(encoding="utf-8"))["schemes"]
    risk = yaml.safe_load((folder / "high_risk_pairs.yaml").read_text(encoding="utf-8"))
    case_sensitive = set(countries["case_sensitive"])
    patterns: list[dict] = []

    def add(label: str, ident: str, term: str) -> None:
        term = term.strip()
        if not term:
            return
        if term in case_sensitive:
            patterns.append({"label": label, "id": ident, "pattern": [{"ORTH": t} for t in term.split()]})
        else:
            patterns.append({"label": label, "id": ident, "pattern": term})

    names = {}
    for c in countries["countries"]:
        names[c["code"]] = c["name"]
        for term in {*c["en"], *c["nl"], *c["adjectives"]["en"], *c["adjectives"]["nl"], *c["regions"]}:
            add("COUNTRY", c["code"], term)
    for key, terms in commodities.items():
        for term in {*terms["en"], *terms["nl"]}:
            add("COMMODITY", key, term)
    for key, terms in schemes.items():
        for term in terms:
            add("SCHEME", key, term)
    pairs = []
    for p in risk["pairs"]:
        if p["country"] not in names or p["commodity"] not in commodities:
            raise ValueError(f"high_risk_pairs.yaml names an unknown country or commodity: {p}")
        pairs.append((p["country"], p["commodity"], tuple(p["risks"])))
    return Gazetteer(names, tuple(commodities), tuple(schemes), tuple(pairs), tuple(patterns), risk["source"])


@lru_cache(maxsize=4)
def _ruler(folder: Path = GAZETTEERS):
    import spacy

    nlp = spacy.blank("en")  # the tokenizer only splits words here; Dutch and English terms both match
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.add_patterns(list(load_gazetteer(folder).patterns))
    return nlp


def load_ruler(folder: Path = GAZETTEERS) -> None:
    """Build the entity ruler now (about half a second) rather than inside the first screen."""
    _ruler(folder)


def find_entities(texts: list[str], folder: Path = GAZETTEERS) -> list[list[tuple[str, str, int, int]]]:
    """(label, id, start, end) per text, character offsets into that text."""
    nlp = _ruler(folder)
    out = []
    for doc in nlp.pipe(texts, batch_size=256):
        out.append([(e.label_, e.ent_id_, e.start_char, e.end_char) for e in doc.ents])
    return out


def _table_sites(doc: Document) -> list[tuple[int, Entity]]:
    """Suppliers and sites from table rows, under a header naming those columns (carried across pages)."""
    found: list[tuple[int, Entity]] = []
    header: tuple[int | None, set[int], int] | None = None  # site column, supplier columns, number of columns
    for page in doc.pages:
        for block in page.blocks:
            if block.kind != "table":
                continue
            offset = block.start
            for row in page.text[block.start:block.end].split("\n"):
                cells = row.split(" | ")
                site = next((i for i, c in enumerate(cells) if _SITE_HEADER.search(c.strip())), None)
                suppliers = {i for i, c in enumerate(cells) if _SUPPLIER_HEADER.search(c.strip())}
                # supplier and site lists name a country column; financial tables headed "Suppliers" do not
                if (site is not None or suppliers) and any(_COUNTRY_HEADER.search(c.strip()) for c in cells):
                    header = (site, suppliers, len(cells))
                elif header is not None and len(cells) == header[2]:
                    pos = offset
                    for i, cell in enumerate(cells):
                        label = "SITE" if i == header[0] else "SUPPLIER" if i in header[1] else None
                        if label and any(ch.isalpha() for ch in cell) and not _is_country(cell):
                            start = pos + len(cell) - len(cell.lstrip())
                            name = cell.strip()
                            found.append((page.number, Entity(label=label, id=_slug(name), text=name,
                                                              start=start, end=start + len(name))))
                        pos += len(cell) + 3
                offset += len(row) + 1
    return found


@lru_cache(maxsize=65536)
def _is_country(cell: str) -> bool:
    """A cell that is just a country name (a column shifted on this page), not a company or site."""
    return any(label == "COUNTRY" and e - s >= len(cell.strip()) - 1 for label, _, s, e in find_entities([cell.strip()])[0])


def _slug(name: str) -> str:
    return re.sub(r"\W+", "-", name.lower()).strip("-")[:80]


def footprint(doc: Document, *, gazetteer_dir: Path = GAZETTEERS) -> Document:
    """Fill `passage.entities` and `doc.footprint`."""
    if doc.failed:
        return doc
    gaz = load_gazetteer(gazetteer_dir)
    for passage, hits in zip(doc.passages, find_entities([p.text for p in doc.passages], gazetteer_dir)):
        passage.entities = [Entity(label=label, id=ident, text=passage.text[s:e], start=passage.start + s,
                                   end=passage.start + e) for label, ident, s, e in hits]
    by_page: dict[int, list] = defaultdict(list)
    for p in doc.passages:
        by_page[p.page].append(p)
    for page_number, entity in _table_sites(doc):
        for p in by_page[page_number]:
            if p.start <= entity.start and entity.end <= p.end:
                # a country or commodity word inside a mill or company name is part of the name
                p.entities = [e for e in p.entities if e.end <= entity.start or e.start >= entity.end]
                p.entities.append(entity)
                break

    rows: dict[tuple[str, str], dict] = {}
    for p in doc.passages:
        decided = p.labels.decisions if p.labels and p.labels.decisions.relevant else None
        for e in p.entities:
            row = rows.setdefault((e.label, e.id), {"mentions": 0, "pages": set(), "themes": set(), "steps": set(),
                                                    "name": gaz.countries.get(e.id, e.id) if e.label == "COUNTRY" else
                                                    (e.text if e.label in ("SITE", "SUPPLIER") else e.id)})
            row["mentions"] += 1
            row["pages"].add(p.page)
            if decided:
                row["themes"].update(decided.themes)
                row["steps"].update(decided.steps)
    doc.footprint = Footprint(
        entities=sorted((FootprintRow(type=label.lower(), id=ident, name=r["name"], mentions=r["mentions"],
                                      pages=sorted(r["pages"]), themes=sorted(r["themes"]), steps=sorted(r["steps"]))
                         for (label, ident), r in rows.items()), key=lambda r: (r.type, -r.mentions, r.id)),
        gaps=_gaps(doc, gaz),
        source=gaz.source,
    )
    return doc


def _gaps(doc: Document, gaz: Gazetteer) -> list[FootprintGap]:
    """High-risk pairs the report names (same page, or the commodity in the title) without any passage
    on that risk at the identify/assess or prevent/mitigate step."""
    pages_of: dict[tuple[str, str], set[int]] = defaultdict(set)
    for p in doc.passages:
        for e in p.entities:
            if e.label in ("COUNTRY", "COMMODITY"):
                pages_of[(e.label, e.id)].add(p.page)
    title = (doc.source.metadata.title or "") + " " + (doc.pages[0].text[:300] if doc.pages else "")
    title_commodities = {ident for label, ident, _, _ in find_entities([title])[0] if label == "COMMODITY"}
    covered = set()
    for p in doc.passages:
        if p.labels and p.labels.decisions.relevant:
            if set(p.labels.decisions.steps) & set(DUE_DILIGENCE_STEPS):
                covered.update(p.labels.decisions.themes)
    gaps = []
    for country, commodity, risks in gaz.pairs:
        c_pages, m_pages = pages_of.get(("COUNTRY", country), set()), pages_of.get(("COMMODITY", commodity), set())
        if not c_pages or not (m_pages or commodity in title_commodities):
            continue
        shared = sorted(c_pages & m_pages) if commodity not in title_commodities else sorted(c_pages)
        if not shared:
            continue
        missing = [r for r in risks if r not in covered]
        if missing:
            gaps.append(FootprintGap(
                country=country, country_name=gaz.countries[country], commodity=commodity, risks=list(risks),
                missing=missing, pages=shared[:20],
                message=(f"names {commodity} and {gaz.countries[country]}, a pair listed for "
                         f"{' and '.join(r.replace('_', ' ') for r in risks)}, but no passage identifies, assesses, "
                         f"prevents or mitigates {' or '.join(m.replace('_', ' ') for m in missing)}")))
    return gaps
