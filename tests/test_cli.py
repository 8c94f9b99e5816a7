"""The `imvo` command-line contracts."""

import json
import re

import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES
from tests.conftest import SAMPLE_PDF

runner = CliRunner()


@pytest.fixture(scope="module")
def screened(tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("out")
    env = {"IMVO_CACHE_DIR": str(settings.cache_dir)}
    result = runner.invoke(app, ["screen", str(SAMPLE_PDF), "--covenant", "textile", "--company", "Noordkust Mode",
                                 "--year", "2023", "--out", str(out)], env=env)
    return result, out


def test_screen_writes_json_and_html_and_prints_the_matrix(screened):
    result, out = screened
    assert result.exit_code == 0, result.output
    assert (out / "noordkust_mode_2023.json").exists() and (out / "noordkust_mode_2023.html").exists()
    assert "completeness" in result.output and "living_wage" in result.output


def test_screen_json_contract(screened):
    _, out = screened
    doc = json.loads((out / "noordkust_mode_2023.json").read_text())
    assert doc["status"] == "ok" and doc["doc_id"] == doc["source"]["sha256"]
    assert doc["source"]["metadata"] == {"company": "Noordkust Mode", "year": 2023, "covenant": "textile",
                                         "title": "Noordkust Mode B.V. - Sustainability Report 2023"}
    sc = doc["scorecard"]
    assert set(sc["cells"]) == set(THEMES) - {"land_communities"}
    pages = {p["number"]: p["text"] for p in doc["pages"]}
    for theme, row in sc["cells"].items():
        assert set(row) == set(STEPS)
        for step, cell in row.items():
            assert cell["score"] in (0, 1, 2)
            assert (cell["score"] > 0) == bool(cell["evidence"])
            for ev in cell["evidence"]:
                assert set(ev) >= {"passage_id", "page", "quote"}
                assert ev["quote"] in pages[ev["page"]]
    for step in STEPS:
        assert sc["steps"][step]["score"] == max(sc["cells"][t][step]["score"] for t in sc["cells"])
    for theme in sc["cells"]:
        assert sc["themes"][theme]["score"] == max(c["score"] for c in sc["cells"][theme].values())
    assert 0 <= sc["completeness"] <= 100 and sc["completeness"] > 10
    assert doc["versions"]["model"].startswith("imvo-heads/") and doc["versions"]["taxonomy"]
    for p in doc["passages"]:
        assert pages[p["page"]][p["start"]:p["end"]] == p["text"]
        assert set(p["labels"]["decisions"]) == {"relevant", "themes", "steps", "bank_activity", "substantiated"}


def test_sample_scorecard_finds_what_the_sample_discloses(screened):
    _, out = screened
    sc = json.loads((out / "noordkust_mode_2023.json").read_text())["scorecard"]
    # the sample report substantiates these (figures, named places, outcomes)
    assert sc["cells"]["health_safety"]["track"]["score"] >= 1 or sc["cells"]["health_safety"]["prevent_mitigate"]["score"] >= 1
    assert sc["themes"]["living_wage"]["score"] >= 1
    assert sc["themes"]["animal_welfare"]["score"] >= 1
    assert sc["steps"]["remediate"]["score"] >= 1


def test_html_is_self_contained(screened):
    _, out = screened
    html = (out / "noordkust_mode_2023.html").read_text()
    assert "<script src" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html) and "url(" not in html
    assert "noordkust_mode_2023.pdf#page=" in html


def test_screen_rejects_an_unknown_ui_language_before_screening(tmp_path):
    result = runner.invoke(app, ["screen", str(SAMPLE_PDF), "--lang", "de", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "choose one of en, nl" in result.output and "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_benchmark_writes_an_html_page_linking_to_the_scorecards(store_with_two_years, tmp_path):
    store, _, _ = store_with_two_years
    result = runner.invoke(app, ["benchmark", "--covenant", "textile", "--year", "2023", "--db", store.url,
                                 "--out", str(tmp_path), "--lang", "nl"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "benchmark_textile_2023.html").read_text()
    assert '<html lang="nl">' in html and "Rangschikking" in html
    assert re.search(r'href="[^"]*scorecards/alpha_2023.html"', html)
    assert (tmp_path / "benchmark_textile_2023.xlsx").exists()


@pytest.mark.parametrize("name, message", [
    ("encrypted", "encrypted"), ("corrupt", "damaged"), ("not_a_pdf", "not a PDF"),
    ("missing", "not found"), ("only_scan", "OCR"),
])
def test_bad_input_gives_one_clear_line_and_nothing_written(pdfs, tmp_path, settings, name, message):
    out = tmp_path / "out"
    result = runner.invoke(app, ["screen", str(pdfs[name]), "--out", str(out)],
                           env={"IMVO_CACHE_DIR": str(settings.cache_dir)})
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_classify_contract(tmp_path, settings):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x) for x in [
        {"id": "a", "text": "In 2023 we found child labour at two suppliers in Uzbekistan and enrolled the children in school."},
        {"id": "b", "text": "Net revenue increased by 4% to EUR 212 million."},
        {"id": "c", "text": "Via ons klachtenmechanisme ontvingen wij veertien klachten van arbeiders in Bangladesh."},
    ]) + "\n")
    dst = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["classify", str(src), "--out", str(dst)], env={"IMVO_CACHE_DIR": str(settings.cache_dir)})
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    for r in rows:
        assert set(r) >= {"id", "relevant", "themes", "steps", "bank_activity", "substantiated", "labels"}
        assert 0 <= r["relevant"] <= 1 and 0 <= r["substantiated"] <= 1
        assert set(r["themes"]) == set(THEMES) and set(r["steps"]) == set(STEPS)
        assert set(r["bank_activity"]) == set(BANK_ACTIVITIES)
        assert isinstance(r["labels"]["relevant"], bool) and isinstance(r["labels"]["themes"], list)
    a, b, c = rows
    assert a["labels"]["relevant"] and "child_labour" in a["labels"]["themes"]
    assert not b["labels"]["relevant"]
    assert c["labels"]["relevant"] and "remediate" in c["labels"]["steps"]


def test_classify_rejects_malformed_lines(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "no id"}\n')
    result = runner.invoke(app, ["classify", str(src), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code != 0 and "in.jsonl:1" in result.output


def test_minilm_is_selectable_by_configuration(tmp_path, settings):
    """IMVO_ENCODER switches the encoder; the heads trained for it are found by their manifest."""
    result = runner.invoke(app, ["screen", str(SAMPLE_PDF), "--covenant", "textile", "--out", str(tmp_path)],
                           env={"IMVO_ENCODER": "all-MiniLM-L6-v2", "IMVO_CACHE_DIR": str(settings.cache_dir)})
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "noordkust_mode_2023.json").read_text())
    assert doc["versions"]["encoder"].startswith("all-MiniLM-L6-v2@")
    assert doc["versions"]["model"].startswith("imvo-heads-all-minilm-l6-v2/")
