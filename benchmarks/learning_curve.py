"""Learning curve on the development reports: `python -m benchmarks.learning_curve` (repository root).

Would more labelled report text of the kind we have make the classifier better, and by how much?
For each share of the passages cut from real reports (`--fractions`, default 0.25 0.5 1), it runs the
cross-validation of `imvo evaluate` (grouped by source report, every head refitted in every fold, the
passages the team wrote always in training) with only that share of the real passages in the training
folds, and scores every real passage out of fold. A curve that still climbs says "label more reports";
a flat one says the features, not the data, are the limit. Prints a Markdown table and writes it to
`benchmarks/LEARNING_CURVE.md` (`--out`). Needs `../shared/data/reports` (the located passages are
read from the reports); the figures are quality, not speed, so one run is enough.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from pipeline.corpus import load_corpus
from pipeline.evaluate import cross_validate, head_figure
from pipeline.heads import HEADS
from pipeline.screen import load_resources
from pipeline.settings import SHARED_DATA, Settings

REPO = Path(__file__).resolve().parents[1]


def render(rows: list[dict], model: str, folds: int) -> str:
    first = rows[0]["result"]["_real"]
    lines = [f"Learning curve of {date.today().isoformat()} (`python -m benchmarks.learning_curve`; features and recipe "
             f"of `{model}`): cross-validation grouped by source report ({folds} folds), scored on the "
             f"{first['_passages']['all']} passages cut from {len(first['_sources'])} real development reports "
             f"({first['relevant']['relevant']['all']['support']} relevant); the training folds hold a share of those "
             "real passages and every passage the team wrote.", "",
             "| real passages in training | relevance F1 | theme macro F1 | step macro F1 | bank activity macro F1 | "
             "substantiated F1 |", "|---|---|---|---|---|---|"]
    for row in rows:
        real = row["result"]["_real"]
        figures = [head_figure(real, head) for head in HEADS]
        cells = " | ".join("–" if f is None else f"{f:.3f}" for f in figures)
        lines.append(f"| {row['fraction']:.0%} ({row['trained']} of {real['_passages']['all']}) | {cells} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--reports", type=Path, default=SHARED_DATA / "reports")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "LEARNING_CURVE.md")
    args = parser.parse_args(argv)
    if not args.reports.is_dir():
        print(f"{args.reports}: not found; the learning curve needs the development reports", file=sys.stderr)
        return 2
    settings = Settings()
    res = load_resources(settings)
    passages = load_corpus(settings.corpora, reviews=settings.reviews, reports=args.reports)
    rows = []
    for fraction in sorted(args.fractions):
        result = cross_validate(passages, encoder=res.encoder, cache=res.cache, features=res.heads.features,
                                lexical=res.heads.lexicon is not None, folds=args.folds, train_fraction=fraction,
                                progress=lambda m, f=fraction: print(f"{f:.0%}: {m}", file=sys.stderr, flush=True))
        rows.append({"fraction": fraction, "trained": result["_real_in_training"], "result": result})
        print(f"{fraction:.0%}: " + ", ".join(f"{h} {head_figure(result['_real'], h)}" for h in HEADS), file=sys.stderr, flush=True)
    markdown = render(rows, res.heads.version, args.folds)
    args.out.write_text(markdown, encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
