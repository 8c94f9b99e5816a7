"""`imvo export`, `imvo review export`, `imvo review import` and `imvo train` with verdicts, through the CLI."""

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from flows.cli import app
from pipeline.report import write_outputs

runner = CliRunner()


@pytest.fixture(scope="module")
def scorecard(company_doc, taxonomy, tmp_path_factory) -> Path:
    json_path, _ = write_outputs(company_doc, tmp_path_factory.mktemp("screened"), taxonomy)
    return json_path


def test_export_writes_every_format_from_scorecard_json(scorecard, tmp_path):
    result = runner.invoke(app, ["export", str(scorecard), "--out", str(tmp_path), "--company", "acme"])
    assert result.exit_code == 0, result.output
    assert "1 scorecards, 54 cells" in result.output
    assert {p.name for p in tmp_path.iterdir()} == {"imvo.json", "imvo.xlsx", "imvo_scorecards.csv", "imvo_cells.csv",
                                                   "imvo_evidence.csv"}


@pytest.mark.parametrize("args, message", [
    (["export", "missing.json"], "missing.json: file not found"),
    (["export", "{scorecard}", "--covenant", "banking"], "no screened reports for covenant banking"),
    (["export", "{scorecard}", "--format", "pdf"], "unknown export format"),
    (["export"], "no results store at sqlite:///"),
    (["review", "export", "{scorecard}", "--year", "1999"], "no screened reports for year 1999"),
    (["review", "import", "nope.xlsx", "{scorecard}"], "nope.xlsx: file not found"),
    (["review", "import", "{scorecard}", "{scorecard}"], "a review sheet is an .xlsx or .csv file"),
    (["review", "import", "x.csv", "{scorecard}", "--date", "1 May"], "not a date"),
])
def test_expected_failures_are_one_line_errors(args, message, scorecard, tmp_path):
    args = [a.replace("{scorecard}", str(scorecard)) for a in args]
    result = runner.invoke(app, args, env={"IMVO_CACHE_DIR": str(tmp_path / "empty-cache")})
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2  # rich may wrap one long line


def test_review_round_trip_through_the_cli(scorecard, company_doc, tmp_path):
    env = {"IMVO_REVIEWS_DIR": str(tmp_path / "reviews"), "IMVO_CACHE_DIR": str(tmp_path / "cache")}
    result = runner.invoke(app, ["review", "export", str(scorecard), "--out", str(tmp_path), "--limit", "5"], env=env)
    assert result.exit_code == 0, result.output
    assert "5 evidence passages from 1 screenings" in result.output
    wb = load_workbook(tmp_path / "review_sheet.xlsx")
    ws = wb["review"]
    header = [c.value for c in ws[1]]
    assert ws.max_row == 6
    ws.cell(2, header.index("verdict") + 1).value = "reject"
    ws.cell(2, header.index("reviewer") + 1).value = "NGO analyst"
    ws.cell(3, header.index("verdict") + 1).value = "correct"
    ws.cell(3, header.index("themes") + 1).value = "living_wage; child_labour"
    ws.cell(3, header.index("reviewer") + 1).value = "NGO analyst"
    wb.save(tmp_path / "filled.xlsx")
    result = runner.invoke(app, ["review", "import", str(tmp_path / "filled.xlsx"), str(scorecard),
                                 "--date", "2024-05-01"], env=env)
    assert result.exit_code == 0, result.output
    assert "imported 2 verdicts (0 accepted, 1 rejected, 1 corrected); 3 rows without a verdict skipped" in result.output
    assert "2 verdicts become training data" in result.output
    [written] = (tmp_path / "reviews").glob("*.jsonl")
    assert written.name == "2024-05-01_ngo-analyst.jsonl" and len(written.read_text().splitlines()) == 2

    ws.cell(4, header.index("verdict") + 1).value = "accept"  # no reviewer: the whole sheet is refused
    wb.save(tmp_path / "bad.xlsx")
    result = runner.invoke(app, ["review", "import", str(tmp_path / "bad.xlsx"), str(scorecard)], env=env)
    assert result.exit_code == 1 and "row 4: no reviewer" in result.output and "nothing was imported" in result.output
    assert len(written.read_text().splitlines()) == 2


def test_train_learns_from_the_imported_verdicts(scorecard, company_doc, tmp_path, monkeypatch):
    """`imvo train` hands the verdicts to training (the fit itself is tested in test_train_and_heads)."""
    import pipeline.encoders
    import pipeline.train

    seen = {}

    def fake_train(passages, **kwargs):
        seen["passages"] = passages
        return tmp_path / "models" / "x"

    monkeypatch.setattr(pipeline.train, "train", fake_train)
    monkeypatch.setattr(pipeline.encoders, "load_encoder", lambda *a, **k: object())
    sheet = tmp_path / "sheet.csv"
    first = json.loads(scorecard.read_text())["scorecard"]["cells"]
    passage_id = next(e["passage_id"] for row in first.values() for c in row.values() for e in c["evidence"])
    sheet.write_text(f"review_id,verdict,themes,steps,substantiated,reviewer\n"
                     f"{company_doc.doc_id[:12]}-{passage_id},reject,,,,A\n")
    env = {"IMVO_REVIEWS_DIR": str(tmp_path / "reviews"), "IMVO_CACHE_DIR": str(tmp_path / "cache")}
    assert runner.invoke(app, ["review", "import", str(sheet), str(scorecard)], env=env).exit_code == 0
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "models")], env=env)
    assert result.exit_code == 0, result.output
    assert "1 of them analysts' verdicts" in result.output
    [reviewed] = [p for p in seen["passages"] if p.review is not None]
    assert reviewed.review.passage_id == passage_id and reviewed.relevant is False


def test_flow_workers_reload_verdicts_after_an_import(resources, settings, tmp_path, monkeypatch):
    import flows.screen
    from pipeline.verdicts import load_verdicts

    folder = tmp_path / "reviews"
    mine = settings.model_copy(update={"reviews_dir": folder})
    monkeypatch.setitem(flows.screen._RESOURCES, mine.model_dump_json(), __import__("dataclasses").replace(resources))
    assert len(flows.screen.resources_for(mine).verdicts) == 0
    folder.mkdir()
    line = {"id": "review-x", "text": "We audited 40 spinning mills for forced labour.", "lang": "en", "relevant": False,
            "themes": [], "steps": [], "bank_activity": [], "substantiated": False, "source": "acme.pdf", "page": 1,
            "labeller": "review:A", "date": "2024-01-01",
            "review": {"review_id": "aaaaaaaaaaaa-1", "verdict": "reject", "doc_sha256": "a" * 64, "passage_id": "1"}}
    (folder / "2024-01-01_a.jsonl").write_text(json.dumps(line) + "\n")
    assert len(flows.screen.resources_for(mine).verdicts) == 1 == len(load_verdicts(folder))
