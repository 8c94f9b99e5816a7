"""Draw the passages to be gold-labelled from the evaluation-only reports (run once; documented here).

The passages are cut by the pipeline itself (extract + segment), so the gold set looks like what
`imvo screen` classifies. Per page at most two passages: one drawn from those with vocabulary of
responsible business conduct (so rare labels get enough positives) and one drawn from the rest
(so the hard negatives that fill real reports are there too). Never whole pages.

    .venv/bin/python corpora/evaluation/build_pool.py ../shared/data/reports OUT_DIR [evaluation|dev]

With `dev` it draws real training passages from the development reports the same way (pages that
already give three quotes anywhere in `corpora/` give none).

`gold2_*.jsonl` is a second draw with the same rule and seed `<report name>#2`, from the passages not
already in gold and within the three-quotes-per-page cap (each note starts with "draw2").
`labelled/real_pool2_dev.jsonl` is a second development draw that adds the text that fills real
reports (tables, contents, footnotes, climate, governance, financial results) to the pools.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

from pipeline.extract import extract
from pipeline.screen import new_document
from pipeline.segment import plain_text_passages as text_passages

# source: (passages with RBC vocabulary per page, one other passage on every n-th page)
SOURCES = {
    "moncler_2023_consolidated_non_financial_statement_en.pdf": (1, 1),
    "volkswagen_2023_sustainability_report_en.pdf": (1, 1),
    "coca_cola_european_partners_2018_modern_slavery_statement_en.pdf": (2, 1),
    "kramp_2017_jaarverslag_nl.pdf": (2, 1),
    "text/ing_groep_2017_annual_report_en.txt": (1, 3),
    "text/pggm_2017_jaarverslag_nl.txt": (2, 1),
}
RBC_WORDS = re.compile(
    r"human rights|labou?r|worker|supplier|supply chain|child|forced|slavery|traffick|wage|union|"
    r"association|collective bargaining|health and safety|safety|injur|fatalit|discriminat|gender|harass|"
    r"grievance|complaint|remed|whistle|due diligence|audit|water|chemical|wastewater|animal|fur|wool|down|"
    r"leather|cotton|mineral|cobalt|communit|indigenous|land|resettle|salient|OECD|UNGP|guiding principles|"
    r"mensenrechten|arbeid|leverancier|keten|kinder|dwang|loon|vakbond|veiligheid|discriminatie|klacht|"
    r"herstel|gepaste zorgvuldigheid|milieu|dierenwelzijn|gemeenschap|IMVO|OESO|convenant|uitsluit",
    re.IGNORECASE,
)


def pdf_passages(path: Path) -> list[dict]:
    doc = new_document(path)
    from pipeline.segment import segment

    segment(extract(doc, path=path))
    return [{"text": p.text, "page": p.page, "heading": p.heading, "lang": p.lang} for p in doc.passages]


def draw(passages: list[dict], rng: random.Random, per_page: int, other_every: int) -> list[dict]:
    by_page: dict[int, list[dict]] = {}
    for p in passages:
        by_page.setdefault(p["page"], []).append(p)
    chosen = []
    for k, page in enumerate(sorted(by_page)):
        items = by_page[page]
        rbc = [p for p in items if RBC_WORDS.search(p["text"])]
        other = [p for p in items if p not in rbc]
        chosen.extend(rng.sample(rbc, min(per_page, len(rbc))))
        if other and k % other_every == 0:
            chosen.append(rng.choice(other))
    return chosen


# Development reports: the same draw gives real training passages cut by the pipeline itself.
DEV_SOURCES = {
    "philips_2018_annual_report_en.pdf": (1, 2),
    "unilever_2017_annual_report_and_accounts_en.pdf": (1, 2),
    "aegon_nederland_2017_annual_report_en.pdf": (1, 3),
    "siemens_fy2023_sustainability_report_en.pdf": (1, 2),
    "shell_2021_sustainability_report_en.pdf": (1, 2),
    "text/abn_amro_2017_annual_report_en.txt": (1, 3),
}


def existing_quotes() -> dict[tuple[str, int], int]:
    """Passages already quoted per (source, page) anywhere in corpora/: no page gives more than three."""
    counts: dict[tuple[str, int], int] = {}
    root = Path(__file__).resolve().parent.parent
    for path in [*root.glob("labelled/*.jsonl"), *root.glob("evaluation/*.jsonl")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if item.get("page"):
                    key = (item["source"], item["page"])
                    counts[key] = counts.get(key, 0) + 1
    return counts


def main(reports: Path, out_dir: Path, split: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    taken = existing_quotes()
    prefix = "gold" if split == "evaluation" else "rp"
    for name, (per_page, other_every) in (SOURCES if split == "evaluation" else DEV_SOURCES).items():
        path = reports / name
        rng = random.Random(name)
        passages = text_passages(path) if path.suffix == ".txt" else pdf_passages(path)
        pool = draw(passages, rng, per_page, other_every)
        source = Path(name).name
        kept, per_page_count = [], {}
        for p in pool:
            n = taken.get((source, p["page"]), 0) + per_page_count.get(p["page"], 0)
            if n < 3:
                kept.append(p)
                per_page_count[p["page"]] = per_page_count.get(p["page"], 0) + 1
        stem = Path(name).stem
        with open(out_dir / f"{stem}.jsonl", "w", encoding="utf-8") as f:
            for i, p in enumerate(kept):
                f.write(json.dumps({"id": f"{prefix}-{stem.split('_')[0]}-{i:04d}", "source": source, **p},
                                   ensure_ascii=False) + "\n")
        print(f"{name}: {len(passages)} passages, {len(kept)} drawn")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "evaluation")
