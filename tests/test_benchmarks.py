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


def test_learning_curve_table_has_a_row_per_share_of_real_passages():
    from benchmarks.learning_curve import render as render_curve

    def result(f1: float, bank: bool) -> dict:
        real = {"_passages": {"all": 100}, "_sources": ["a.pdf", "b.pdf"],
                "relevant": {"relevant": {"all": {"f1": f1, "support": 30}}},
                "substantiated": {"substantiated": {"all": {"f1": f1 - 0.1, "support": 10}}},
                "themes": {"_macro_f1": {"all": f1 - 0.2}}, "steps": {"_macro_f1": {"all": f1 - 0.3}},
                "bank_activity": {"_macro_f1": {"all": 0.5} if bank else {}}}
        return {"_real": real}

    rows = [{"fraction": 0.5, "trained": 50, "result": result(0.6, False)},
            {"fraction": 1.0, "trained": 100, "result": result(0.7, True)}]
    text = render_curve(rows, "imvo-heads/x", 5)
    assert "100 passages cut from 2 real development reports (30 relevant)" in text
    assert "| 50% (50 of 100) | 0.600 | 0.400 | 0.300 | – | 0.500 |" in text
    assert "| 100% (100 of 100) | 0.700 | 0.500 | 0.400 | 0.500 | 0.600 |" in text
