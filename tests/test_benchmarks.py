"""The benchmark report: targets are judged from the measured figures (no timing here)."""

from benchmarks.run import render

SCREEN = {"rounds": 3, "pages": 220, "passages": 3000, "chars": 800000, "pdfplumber_s": 30.0, "pdfium_s": 0.6,
          "floor_encode_s": 4.4, "floor_s": 5.0, "screen_s": 6.0, "startup_s": 7.0, "ratio_plumber": 0.2,
          "ratio_floor": 1.2, "peak_tree_rss_mb": 900.0, "stages": {"extract": 1.0, "embed": 4.5}}
BIG = {"pages": 400, "peak_rss_mb": 1000.0, "peak_tree_rss_mb": 1600.0}
BATCH = {"documents": 50, "rss_by_done": {"0": 700.0, "10": 900.0, "50": 905.0}}
RERUN = {"documents": 9, "first_s": 80.0, "rerun_s": 1.0, "ratio": 1 / 80}


def _verdicts(text: str) -> dict[str, str]:
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and line.rstrip().endswith(" |")]
    return {cells[0].strip("| "): cells[-1].strip(" |") for cells in rows if cells[-1].strip(" |") in ("yes", "no")}


def test_targets_are_judged_from_the_figures():
    text = render(SCREEN, BIG, BATCH, RERUN, "Philips", "three reports")
    verdicts = _verdicts(text)
    assert verdicts["screen / pdfplumber"] == "yes" and verdicts["screen / floor"] == "yes"
    memory = next(k for k in verdicts if k.startswith("peak memory"))
    assert verdicts[memory] == "no"  # 1.6 GB > 1.5 GB
    assert verdicts[next(k for k in verdicts if k.startswith("RSS across"))] == "yes"
    assert verdicts[next(k for k in verdicts if k.startswith("rerun"))] == "yes"
    assert "| extract | 1.00 |" in text and "220 pages" in text


def test_missed_targets_say_no():
    slow = {**SCREEN, "screen_s": 12.0, "ratio_plumber": 0.4, "ratio_floor": 2.4}
    growing = {**BATCH, "rss_by_done": {"10": 900.0, "50": 1400.0}}
    verdicts = _verdicts(render(slow, {**BIG, "peak_tree_rss_mb": 1200.0}, growing, {**RERUN, "ratio": 0.2}, "x", "y"))
    assert [verdicts[k] for k in verdicts] == ["no", "no", "yes", "no", "no"]
