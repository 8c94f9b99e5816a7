"""Speed and memory benchmark: `python -m benchmarks.run` (from the repository root).

Measures, side by side in one run, on the Philips 2018 annual report (220 pages) when
`../shared/data` is present and on a generated report of the same length otherwise:

- pdfplumber `extract_text` over every page (the yardstick),
- pypdfium2 text extraction of every page,
- `screen_pdf` in a new process with the models loaded and an empty embedding cache (per stage),
- the floor: pypdfium2 text plus encoding exactly the passages the screen encoded, with the same encoder;

then peak memory on a 400-page report, memory across a batch of 50 reports, and the time of
rerunning an unchanged batch of the development reports with `imvo batch`. Prints a Markdown
report and writes it to `benchmarks/RESULTS.md` (`--out`). Figures are medians of `--repeat` rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.settings import SHARED_DATA

REPO = Path(__file__).resolve().parents[1]
DATA = SHARED_DATA / "reports"
PHILIPS = DATA / "philips_2018_annual_report_en.pdf"
# development reports (evaluation-only ones are left out; see the README's data rules)
DEV_REPORTS = ["aegon_nederland_2017_annual_report_en.pdf", "frieslandcampina_2022_palm_oil_mill_list_en.pdf",
               "philips_2018_annual_report_en.pdf", "pm_group_2019_modern_slavery_statement_en.pdf",
               "rabobank_2023_our_impact_extract_2pp_en.pdf", "shell_2021_sustainability_report_en.pdf",
               "siemens_fy2023_sustainability_report_en.pdf", "unilever_2017_annual_report_and_accounts_en.pdf",
               "vwr_international_2019_modern_slavery_statement_en.pdf"]
README_START, README_END = "<!-- speed:start -->", "<!-- speed:end -->"
FOUR_HUNDRED = ["philips_2018_annual_report_en.pdf", "siemens_fy2023_sustainability_report_en.pdf",
                "shell_2021_sustainability_report_en.pdf"]


def _env(tmp: Path) -> dict[str, str]:
    (tmp / "prefect").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PREFECT_HOME=str(tmp / "prefect"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="60",
               IMVO_CACHE_DIR=str(tmp / "cache"), PYTHONPATH=str(REPO))
    return env


def _worker(args: list[str], tmp: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.worker", *args], cwd=REPO, env=_env(tmp),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pdfplumber_seconds(pdf: Path) -> float:
    import pdfplumber

    start = time.perf_counter()
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            page.extract_text()
            page.flush_cache()
    return time.perf_counter() - start


def pdfium_seconds(pdf: Path) -> float:
    start = time.perf_counter()
    doc = pdfium.PdfDocument(str(pdf))
    for page in doc:
        textpage = page.get_textpage()
        textpage.get_text_range()
        textpage.close()
        page.close()
    doc.close()
    return time.perf_counter() - start


def _synthetic(path: Path, pages: int, company: str = "Benchmark B.V.", year: int = 2024) -> Path:
    from pipeline.pdfgen import build_pdf
    from pipeline.samples import synthetic_report

    per_copy = len(synthetic_report(company, year)["pages"])
    spec = synthetic_report(company, year, pages=-(-pages // per_copy))
    spec["pages"] = spec["pages"][:pages]
    build_pdf(spec, path)
    return path


def _concatenate(paths: list[Path], pages: int, out: Path) -> Path:
    merged = pdfium.PdfDocument.new()
    for path in paths:
        src = pdfium.PdfDocument(str(path))
        take = min(len(src), pages - len(merged))
        merged.import_pages(src, list(range(take)))
        src.close()
        if len(merged) >= pages:
            break
    merged.save(str(out))
    merged.close()
    return out


def measure_screen(pdf: Path, repeat: int, tmp: Path) -> dict:
    rounds = []
    for i in range(repeat):
        plumber = pdfplumber_seconds(pdf)
        pdfium_s = pdfium_seconds(pdf)
        run = _worker(["screen", str(pdf)], tmp / f"screen{i}")
        floor = pdfium_s + run["floor_encode_s"]
        rounds.append({"pdfplumber_s": plumber, "pdfium_s": pdfium_s, "floor_s": floor, **run,
                       "ratio_plumber": run["screen_s"] / plumber, "ratio_floor": run["screen_s"] / floor})
        print(f"  round {i + 1}: screen {run['screen_s']:.2f} s, pdfplumber {plumber:.2f} s, floor {floor:.2f} s",
              file=sys.stderr)
    med = {k: statistics.median(r[k] for r in rounds)
           for k in ("pdfplumber_s", "pdfium_s", "floor_s", "floor_encode_s", "screen_s", "startup_s",
                     "ratio_plumber", "ratio_floor", "peak_rss_mb", "peak_tree_rss_mb")}
    med["stages"] = {k: statistics.median(r["stages"][k] for r in rounds) for k in rounds[0]["stages"]}
    med.update({k: rounds[0][k] for k in ("pages", "passages", "chars", "status")})
    med["rounds"] = repeat
    return med


def measure_batch_memory(n: int, tmp: Path) -> dict:
    folder = tmp / "batch50"
    folder.mkdir(parents=True)
    for i in range(n):
        _synthetic(folder / f"company{i:02d}_2024_report_en.pdf", pages=4 + (i % 5) * 4, company=f"Company {i:02d} B.V.")
    return _worker(["batch", str(folder), f"sqlite:///{tmp / 'batch50.sqlite'}"], tmp / "w")


def measure_rerun(reports: list[Path], tmp: Path) -> dict:
    folder = tmp / "dev"
    folder.mkdir(parents=True)
    for path in reports:
        (folder / path.name).symlink_to(path)
    env = _env(tmp)
    cmd = [str(Path(sys.executable).with_name("imvo")), "batch", str(folder), "--db", f"sqlite:///{tmp / 'dev.sqlite'}"]
    times = []
    for _ in range(2):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 2):
            raise RuntimeError(f"imvo batch failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return {"documents": len(reports), "first_s": times[0], "rerun_s": times[1], "ratio": times[1] / times[0]}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration):
        mem = 0
    return (f"{cpu}, {os.cpu_count()} cores, {mem / 1024 / 1024:.0f} GB RAM, Linux {platform.release()}, "
            f"Python {platform.python_version()}")


def render(screen: dict, big: dict, batch: dict | None, rerun: dict | None, source: str, big_source: str) -> str:
    s = screen
    lines = [f"Benchmark of {date.today().isoformat()} on {machine()}; {source}; medians of {s['rounds']} rounds.", "",
             f"**Screening one report** ({s['pages']} pages, {s['passages']:,} passages, {s['chars']:,} characters encoded)", "",
             "| measurement | seconds | pages/s | passages/s |", "|---|---|---|---|"]

    def row(name: str, sec: float, passages: bool = False) -> None:
        per_passage = f"{s['passages'] / sec:.0f}" if passages else ""
        lines.append(f"| {name} | {sec:.2f} | {s['pages'] / sec:.0f} | {per_passage} |")

    row("pdfplumber `extract_text`, every page (yardstick)", s["pdfplumber_s"])
    row("pypdfium2 text, every page", s["pdfium_s"])
    row("encoding the screen's passages, same encoder", s["floor_encode_s"], True)
    row("**floor** = pypdfium2 text + encoding", s["floor_s"], True)
    row("**`screen_pdf`**, new process, models loaded, empty cache, outputs written", s["screen_s"], True)
    lines += ["", "| stage of the screen | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in s["stages"].items()]
    lines += [f"| (start-up before the screen: imports, models, fork server) | {s['startup_s']:.2f} |", "",
              f"Peak memory of the screen (process plus PDF readers, upper bound): {s['peak_tree_rss_mb'] / 1024:.2f} GB.", ""]
    lines += ["| target | measured | target | met |", "|---|---|---|---|",
              f"| screen / pdfplumber | {s['ratio_plumber']:.2f} | ≤ 0.20 | {'yes' if s['ratio_plumber'] <= 0.2 else 'no'} |",
              f"| screen / floor | {s['ratio_floor']:.2f} | ≤ 1.30 | {'yes' if s['ratio_floor'] <= 1.3 else 'no'} |"]
    peak = big["peak_tree_rss_mb"]
    lines.append(f"| peak memory, {big['pages']}-page report ({big_source}): the screen process's peak plus the "
                 f"peak of its PDF readers and fork server (an upper bound) | {peak / 1024:.2f} GB (screen process "
                 f"{big['peak_rss_mb'] / 1024:.2f} GB) | ≤ 1.5 GB | {'yes' if peak <= 1536 else 'no'} |")
    if batch:
        rss = {int(k): v for k, v in batch["rss_by_done"].items()}
        done = sorted(rss)
        early = next((rss[k] for k in done if k >= 10), rss[done[0]])
        late = rss[done[-1]]
        lines.append(f"| RSS across a batch of {batch['documents']} reports (after 10 → after {done[-1]}) | "
                     f"{early:.0f} → {late:.0f} MB ({late - early:+.0f} MB) | flat | "
                     f"{'yes' if late - early <= 0.1 * early else 'no'} |")
    if rerun:
        lines.append(f"| rerun of an unchanged batch of {rerun['documents']} development reports (`imvo batch`) | "
                     f"{rerun['rerun_s']:.1f} s of {rerun['first_s']:.1f} s = {100 * rerun['ratio']:.1f} % | ≤ 5 % | "
                     f"{'yes' if rerun['ratio'] <= 0.05 else 'no'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the real reports (generated ones when absent)")
    parser.add_argument("--batch", type=int, default=50, help="reports in the memory batch (0 to skip)")
    parser.add_argument("--no-rerun", action="store_true", help="skip the batch rerun measurement")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "RESULTS.md")
    parser.add_argument("--readme", action="store_true", help="also put the report into README.md (between the speed markers)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = args.data
        real = (data / PHILIPS.name).exists()
        if real:
            pdf, source = data / PHILIPS.name, "Philips 2018 annual report"
        else:
            pdf, source = _synthetic(tmp / "synthetic_220.pdf", 220), "a generated 220-page report (no ../shared/data)"
        print(f"screening {pdf.name} ...", file=sys.stderr)
        screen = measure_screen(pdf, args.repeat, tmp)
        if real:
            big_pdf = _concatenate([data / n for n in FOUR_HUNDRED], 400, tmp / "four_hundred.pdf")
            big_source = "Philips + Siemens + Shell pages"
        else:
            big_pdf, big_source = _synthetic(tmp / "synthetic_400.pdf", 400), "generated"
        print("400-page report ...", file=sys.stderr)
        big = _worker(["screen", str(big_pdf)], tmp / "big")
        batch = None
        if args.batch:
            print(f"batch of {args.batch} ...", file=sys.stderr)
            batch = measure_batch_memory(args.batch, tmp)
        rerun = None
        if not args.no_rerun:
            reports = [data / n for n in DEV_REPORTS if (data / n).exists()] if real else [
                _synthetic(tmp / f"dev{i}_2024_report_en.pdf", pages=20 + 20 * i, company=f"Dev {i} N.V.") for i in range(9)]
            print(f"batch of {len(reports)} development reports, twice ...", file=sys.stderr)
            rerun = measure_rerun(reports, tmp)
        text = render(screen, big, batch, rerun, source, big_source)
    args.out.write_text(text, encoding="utf-8")
    if args.readme:
        readme = REPO / "README.md"
        content = readme.read_text(encoding="utf-8")
        start, end = content.index(README_START) + len(README_START), content.index(README_END)
        readme.write_text(content[:start] + "\n" + text + content[end:], encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
