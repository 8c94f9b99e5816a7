"""Results store, batch inputs and benchmark tables (library level, no Prefect)."""

import re
from pathlib import Path

import pytest

from pipeline.batch import read_batch, screen_item, summarise
from pipeline.benchmark import benchmark_tables, compare_cells, export_tables, write_benchmark_page
from pipeline.errors import ImvoError
from pipeline.taxonomy import load_taxonomy


def test_manifest_paths_are_relative_to_the_manifest_and_cannot_escape(tmp_path):
    (tmp_path / "reports").mkdir()
    manifest = tmp_path / "batch.csv"
    manifest.write_text("company,year,covenant,path,sector\n"
                        "Acme,2023,textile,reports/acme.pdf,apparel\n"
                        "Evil,2023,textile,../../etc/passwd,\n"
                        "Bad,twenty,textile,reports/bad.pdf,\n")
    good, evil, bad = read_batch(manifest)
    assert good.path == str(tmp_path / "reports" / "acme.pdf") and good.year == 2023 and good.sector == "apparel"
    assert good.problem is None
    assert "outside the base folder" in evil.problem
    assert "not a number" in bad.problem


def test_manifest_without_required_columns_is_refused(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("company,path\nAcme,a.pdf\n")
    with pytest.raises(ImvoError, match="year, covenant"):
        read_batch(manifest)


def test_a_folder_is_a_batch_with_company_and_year_from_file_names(tmp_path):
    (tmp_path / "philips_2018_annual_report_en.pdf").write_bytes(b"%PDF-1.4")
    [item] = read_batch(tmp_path)
    assert (item.company, item.year) == ("philips", 2018)


def test_screening_again_reuses_and_never_duplicates_rows(store_with_two_years, resources):
    store, items, results = store_with_two_years
    assert [r.outcome for r in results] == ["screened"] * 4
    before = store.dump()
    again = [screen_item(i, resources=resources, store=store) for i in items]
    assert [r.outcome for r in again] == ["reused"] * 4
    assert summarise(again)["reused"] == 4
    doc = __import__("pipeline.screen", fromlist=["screen_pdf"]).screen_pdf(
        items[0].path, resources=resources, covenant="textile", company="Alpha", year=2022)
    store.save(doc)  # saving the same result again replaces it in place
    assert store.dump() == before
    rows = store.screenings(covenant="textile")
    assert {r["model_version"] for r in rows} == {resources.heads.version}
    assert {r["taxonomy_version"] for r in rows} == {resources.taxonomy.version}


def test_benchmark_ranks_and_compares_years(store_with_two_years, tmp_path):
    store, _, _ = store_with_two_years
    tables = benchmark_tables(store, "textile", 2023)
    ranking = tables["ranking"]
    assert list(ranking["rank"]) == sorted(ranking["rank"]) and set(ranking["company"]) == {"Alpha", "Beta"}
    alpha = ranking.set_index("company").loc["Alpha"]
    assert alpha["completeness"] > alpha["previous_completeness"]  # 2023 discloses more sections than 2022
    yoy = tables["year_over_year"]
    assert {"improved"} <= set(yoy[yoy.company == "Alpha"]["change"])
    assert set(yoy[yoy.company == "Beta"]["change"]) <= {"unchanged", "new_evidence", "improved", "declined"}
    assert list(tables["themes"].columns[:1]) == ["company"]
    written = export_tables(tables, tmp_path, "bench")
    assert {p.suffix for p in written} == {".csv", ".parquet", ".xlsx"}
    import pandas as pd

    assert set(pd.ExcelFile(tmp_path / "bench.xlsx").sheet_names) == set(tables)


def test_cell_changes():
    prev = [{"row": "t", "step": "s", "score": 1, "evidence": [{"quote": "We audit suppliers."}]},
            {"row": "u", "step": "s", "score": 2, "evidence": [{"quote": "Old."}]}]
    cur = [{"row": "t", "step": "s", "score": 1, "evidence": [{"quote": "We audit all 40 suppliers."}]},
           {"row": "u", "step": "s", "score": 1, "evidence": [{"quote": "Old."}]},
           {"row": "v", "step": "s", "score": 2, "evidence": [{"quote": "New."}]}]
    changes = {(c["row"], c["step"]): c["change"] for c in compare_cells(prev, cur)}
    assert changes == {("t", "s"): "new_evidence", ("u", "s"): "declined", ("v", "s"): "improved"}


def test_batch_writes_scorecards_and_records_where(store_with_two_years, resources, tmp_path):
    store, items, results = store_with_two_years
    assert all(r.scorecard and r.scorecard.endswith(".html") for r in results)
    assert all(Path(r.scorecard).is_file() for r in results)
    again = screen_item(items[0], resources=resources, store=store, out_dir=Path(results[0].scorecard).parent)
    assert again.outcome == "reused" and again.scorecard == results[0].scorecard
    # a stored result whose scorecard is not in the requested folder is screened again to write it
    moved = screen_item(items[0], resources=resources, store=store, out_dir=tmp_path)
    assert moved.outcome == "screened" and (tmp_path / "alpha_2022.html").is_file()
    assert store.output_paths([moved.screening_id])[moved.screening_id] == (tmp_path / "alpha_2022.html").resolve()
    screen_item(items[0], resources=resources, store=store, out_dir=Path(results[0].scorecard).parent)


def test_benchmark_page_ranks_links_and_shows_arrows(store_with_two_years, tmp_path):
    store, _, results = store_with_two_years
    tables = benchmark_tables(store, "textile", 2023)
    page = write_benchmark_page(tables, store, tmp_path, "bench", taxonomy=load_taxonomy(), covenant="textile", year=2023)
    html = page.read_text()
    rows = re.findall(r'<tr data-company="([^"]+)">', html)
    assert rows == list(tables["ranking"]["company"])
    scorecards = {Path(r.scorecard).name: Path(r.scorecard) for r in results}
    href = re.search(r'<a class="company" href="([^"]+)">Alpha</a>', html).group(1)
    assert (tmp_path / href).resolve() == scorecards["alpha_2023.html"]
    alpha = html.split('<tr data-company="Alpha">')[1].split("</tr>")[0]
    assert 'class="arrow up"' in alpha  # Alpha discloses more sections in 2023 than in 2022
    assert 'id="themes"' in html and 'id="steps"' in html and "Child labour" in html
    assert "▲" in html.split('id="themes"')[1]


def test_an_unchanged_batch_is_answered_from_the_store_without_the_encoder(store_with_two_years, resources, tmp_path,
                                                                           monkeypatch):
    import dataclasses

    from pipeline.batch import BatchItem, stored_results
    from pipeline.pdfgen import build_pdf
    from pipeline.screen import Resources
    from tests.fixtures import company_report

    store, items, results = store_with_two_years
    scorecards = Path(items[0].path).parent / "scorecards"
    # a copy of the resources whose encoder must not be touched
    light = dataclasses.replace(resources)
    monkeypatch.setattr(Resources, "encoder", property(lambda self: pytest.fail("the encoder was loaded")))
    reused = stored_results(items, resources=light, store=store, out_dir=scorecards)
    assert reused is not None and [r.outcome for r in reused] == ["reused"] * len(items)
    assert [r.screening_id for r in reused] == [r.screening_id for r in results]
    assert all(r.scorecard and Path(r.scorecard).parent == scorecards for r in reused)
    # scorecards wanted somewhere else, or one new report: the flow has work to do
    assert stored_results(items, resources=light, store=store, out_dir=tmp_path / "elsewhere") is None
    new = tmp_path / "gamma_2023.pdf"
    build_pdf(company_report("Gamma", 2023), new)
    assert stored_results(items + [BatchItem(str(new), "Gamma", 2023, "textile")], resources=light, store=store) is None


def test_reports_with_the_same_file_name_get_their_own_scorecards(resources, tmp_path):
    """Two companies' `annual_report.pdf` in one batch: neither scorecard replaces the other, and the
    store points each screening at its own."""
    from pipeline.batch import BatchItem, screen_item
    from pipeline.pdfgen import build_pdf
    from pipeline.store import Store
    from tests.fixtures import company_report

    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    items = []
    for company in ("Delta", "Epsilon"):
        path = tmp_path / company.lower() / "annual_report.pdf"
        path.parent.mkdir()
        build_pdf(company_report(company, 2023, sections=3), path)
        items.append(BatchItem(str(path), company, 2023, "textile"))
    cards = tmp_path / "cards"
    results = [screen_item(i, resources=resources, store=store, out_dir=cards) for i in items]
    assert len({r.scorecard for r in results}) == 2
    for item, result in zip(items, results):
        assert f">{item.company} 2023</h1>" in Path(result.scorecard).read_text(encoding="utf-8")
        assert store.output_paths([result.screening_id])[result.screening_id] == Path(result.scorecard)
    again = screen_item(items[0], resources=resources, store=store, out_dir=cards)
    assert again.outcome == "reused" and again.scorecard == results[0].scorecard
