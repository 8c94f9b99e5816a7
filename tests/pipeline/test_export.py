"""`imvo export` tables: documented, stable columns; the same rows from JSON files and from the store."""

import json

import pandas as pd
import pytest

from pipeline.export import TABLES, columns_markdown, export_tables, load_columns, readme_columns, write_tables
from pipeline.records import RecordsError, Selection, load_records, records_from_documents, records_from_store
from pipeline.store import Store, document_key
from tests.conftest import REPO


@pytest.fixture(scope="module")
def tables(company_doc, taxonomy):
    return export_tables(records_from_documents([company_doc]), taxonomy)


def test_export_columns_equal_the_documented_columns(tables):
    spec = load_columns()
    assert set(tables) == set(TABLES) == set(spec.tables)
    for name, df in tables.items():
        assert list(df.columns) == spec.ids(name)
    assert readme_columns((REPO / "README.md").read_text(encoding="utf-8")) == columns_markdown(spec), (
        "README columns section is stale: python -c 'from pipeline.export import update_readme; "
        "from pathlib import Path; update_readme(Path(\"README.md\"))'")
    for name in TABLES:  # the README names every column of every table
        for column in spec.ids(name):
            assert f"| `{column}` |" in readme_columns((REPO / "README.md").read_text(encoding="utf-8"))


def test_export_rows_match_the_scorecard(tables, company_doc):
    sc = company_doc.scorecard
    scorecards, cells, evidence = tables["scorecards"], tables["cells"], tables["evidence"]
    assert len(scorecards) == 1
    row = scorecards.iloc[0]
    assert row["screening_id"] == document_key(company_doc) and row["doc_sha256"] == company_doc.doc_id
    assert (row["company"], row["year"], row["covenant"], row["completeness"]) == ("Acme", 2023, "textile", sc.completeness)
    assert len(cells) == len(sc.themes_scored) * len(sc.steps_scored)
    for _, c in cells.iterrows():
        assert c["score"] == sc.cells[c["theme"]][c["step"]].score
    assert set(cells["theme_name"]) >= {"Forced labour"}
    assert len(evidence) == sum(len(sc.cells[t][s].evidence) for t in sc.cells for s in sc.cells[t])
    first = evidence.iloc[0]
    ev = sc.cells[first["theme"]][first["step"]].evidence[0]
    assert (first["passage_id"], first["page"], first["quote"], first["rank"]) == (ev.passage_id, ev.page, ev.quote, 1)
    assert first["review_id"] == f"{company_doc.doc_id[:12]}-{ev.passage_id}"
    assert evidence["review_verdict"].isna().all()


def test_export_writes_csv_xlsx_with_readable_headers_and_json(tables, tmp_path):
    spec = load_columns()
    written = write_tables(tables, tmp_path, "acme")
    assert sorted(p.name for p in written) == ["acme.json", "acme.xlsx", "acme_cells.csv", "acme_evidence.csv",
                                               "acme_scorecards.csv"]
    assert list(pd.read_csv(tmp_path / "acme_cells.csv").columns) == spec.ids("cells")
    book = pd.read_excel(tmp_path / "acme.xlsx", sheet_name=None)
    assert list(book) == list(TABLES)
    assert list(book["evidence"].columns) == [c.header for c in spec.tables["evidence"]]
    assert len(book["evidence"]) == len(tables["evidence"])
    payload = json.loads((tmp_path / "acme.json").read_text())
    assert payload["columns_version"] == spec.version
    assert list(payload["cells"][0]) == spec.ids("cells") and len(payload["cells"]) == len(tables["cells"])
    with pytest.raises(ValueError, match="unknown export format"):
        write_tables(tables, tmp_path, "x", ("pdf",))


def test_store_and_json_give_the_same_tables(company_doc, taxonomy, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'results.sqlite'}")
    store.save(company_doc)
    from_store = export_tables(records_from_store(store), taxonomy)
    from_json = export_tables(records_from_documents([company_doc]), taxonomy)
    for name in ("cells", "evidence"):
        pd.testing.assert_frame_equal(from_store[name], from_json[name], check_dtype=False)
    left = from_store["scorecards"].drop(columns=["screened_at"])
    right = from_json["scorecards"].drop(columns=["screened_at"])
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    assert from_store["scorecards"]["screened_at"].notna().all()


def test_filters_select_reports_and_an_empty_selection_names_them(company_doc, tmp_path):
    path = tmp_path / "acme.json"
    path.write_text(company_doc.model_dump_json())
    assert len(load_records([path], None, Selection(companies=("ACME",))).screenings) == 1
    with pytest.raises(RecordsError, match="covenant banking"):
        load_records([path], None, Selection(covenant="banking"))
    with pytest.raises(RecordsError, match="year 2022"):
        load_records([path], None, Selection(years=(2022,)))
    with pytest.raises(RecordsError, match="not a scorecard JSON"):
        (tmp_path / "bad.json").write_text("{}")
        load_records([tmp_path / "bad.json"], None)


def test_a_store_from_before_reviews_gains_the_new_columns(company_doc, tmp_path):
    from sqlalchemy import create_engine, inspect, text

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    Store(url)
    engine = create_engine(url)
    with engine.begin() as con:  # what a store written before this version looks like
        con.execute(text("ALTER TABLE passages DROP COLUMN review"))
        con.execute(text("ALTER TABLE screenings DROP COLUMN thresholds"))
        con.execute(text("ALTER TABLE screenings DROP COLUMN reviews"))
    assert "review" not in {c["name"] for c in inspect(engine).get_columns("passages")}
    store = Store(url)
    assert "review" in {c["name"] for c in inspect(engine).get_columns("passages")}
    key = store.save(company_doc)
    assert store.lookup(key)["thresholds"]["relevant"]["relevant"] > 0
