"""The review loop: sheet out, verdicts in, training data, and a rescreen whose cells follow the verdicts."""

import dataclasses
import json

import pytest
from openpyxl import load_workbook

from pipeline.batch import BatchItem, result_key, screen_item
from pipeline.corpus import iter_corpus_files, load_corpus
from pipeline.export import load_columns, review_id
from pipeline.records import records_from_documents, records_from_store
from pipeline.errors import ReviewError
from pipeline.review import import_review_sheet, read_review_sheet, review_rows, write_review_sheet
from pipeline.screen import screen_pdf
from pipeline.store import Store, document_key
from pipeline.verdicts import SCREENING_ONLY, load_verdicts


def fill(sheet, verdicts: dict[str, dict[str, str]], out):
    """Write `verdicts` (review id -> column -> value) into a copy of an exported XLSX review sheet."""
    wb = load_workbook(sheet)
    ws = wb["review"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        values = verdicts.get(row[0].value, {})
        for column, value in values.items():
            row[header.index(column)].value = value
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def sheet(company_doc, taxonomy, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sheet")
    rows = review_rows(records_from_documents([company_doc]))
    xlsx, csv = write_review_sheet(rows, folder, taxonomy)
    return rows, xlsx, csv


def test_review_sheet_lists_each_evidence_passage_once_least_certain_first(sheet, company_doc):
    rows, xlsx, csv = sheet
    sc = company_doc.scorecard
    evidence_ids = {e.passage_id for t in sc.cells for s in sc.cells[t] for e in sc.cells[t][s].evidence}
    assert sorted(r["review_id"] for r in rows) == sorted(review_id(company_doc.doc_id, p) for p in evidence_ids)
    flags = [r["needs_review"] == "yes" for r in rows]
    assert flags == sorted(flags, reverse=True) and any(flags)
    flagged = [r["margin"] for r in rows if r["needs_review"] == "yes"]
    assert flagged == sorted(flagged)
    assert all(r["verdict"] is None and r["reviewer"] is None for r in rows)
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["review", "labels", "columns"]
    assert [c.value for c in wb["review"][1]] == [c.id for c in load_columns().review_sheet.columns]
    validations = wb["review"].data_validations.dataValidation
    assert any('"accept,reject,correct"' == v.formula1 for v in validations)
    assert {r[1].value for r in wb["labels"].iter_rows(min_row=2)} >= {"child_labour", "remediate", "project_finance"}
    assert len(read_review_sheet(csv)) == len(rows) == len(read_review_sheet(xlsx))


def _only_evidence(doc) -> tuple[str, str, str]:
    """A (passage id, theme, step) whose passage is the only evidence of its cell."""
    sc = doc.scorecard
    for t in sc.themes_scored:
        for s in sc.steps_scored:
            cell = sc.cells[t][s]
            if cell.n_evidence == 1:
                return cell.evidence[0].passage_id, t, s
    pytest.fail("the fixture report has no cell with a single evidence passage")


def _passage_to_extend(doc, avoid: str, avoid_theme: str) -> tuple[str, str, str]:
    """A (passage id, new theme, step): an evidence passage and a theme it lacks whose cell for one of its
    steps is empty, so adding the theme must raise that cell (and not the cell of `avoid_theme`)."""
    sc = doc.scorecard
    listed = {e.passage_id for t in sc.cells for s in sc.cells[t] for e in sc.cells[t][s].evidence}
    for p in doc.passages:
        d = p.labels.decisions
        if p.id == avoid or p.id not in listed or not d.steps:
            continue
        for theme in sc.themes_scored:
            for step in d.steps:
                if theme not in d.themes and theme != avoid_theme and step in sc.steps_scored and sc.cells[theme][step].score == 0:
                    return p.id, theme, step
    pytest.fail("no passage whose correction would fill an empty cell")


@pytest.fixture(scope="module")
def round_trip(company_doc, company_pdf, resources, sheet, tmp_path_factory):
    """Reject a passage that is the only evidence of a cell, correct another to add a theme, accept a third;
    import the sheet; screen the same PDF again."""
    rows, xlsx, _ = sheet
    folder = tmp_path_factory.mktemp("reviews")
    doc = company_doc
    rejected, r_theme, r_step = _only_evidence(doc)
    corrected, c_theme, c_step = _passage_to_extend(doc, avoid=rejected, avoid_theme=r_theme)
    accepted = next(r["review_id"] for r in rows if r["review_id"] not in
                    {review_id(doc.doc_id, rejected), review_id(doc.doc_id, corrected)})
    themes = [*next(p for p in doc.passages if p.id == corrected).labels.decisions.themes, c_theme]
    filled = fill(xlsx, {
        review_id(doc.doc_id, rejected): {"verdict": "reject", "reviewer": "A. Analyst", "comment": "a commitment, not about this"},
        review_id(doc.doc_id, corrected): {"verdict": "correct", "themes": ", ".join(themes), "reviewer": "A. Analyst"},
        accepted: {"verdict": "accept", "reviewer": "B. Reviewer"},
    }, folder.parent / "filled.xlsx")
    summary = import_review_sheet(filled, records_from_documents([doc]), folder=folder, date="2024-05-01")
    again = dataclasses.replace(resources, verdicts=load_verdicts(folder))
    doc2 = screen_pdf(company_pdf, resources=again, covenant="textile", company="Acme", year=2023)
    return dict(folder=folder, summary=summary, doc2=doc2, resources2=again, filled=filled,
                rejected=(rejected, r_theme, r_step), corrected=(corrected, c_theme, c_step), accepted=accepted)


def test_import_stores_verdicts_as_labelled_passages_with_reviewer_and_date(round_trip, company_doc):
    summary, folder = round_trip["summary"], round_trip["folder"]
    assert summary.verdicts == {"accept": 1, "reject": 1, "correct": 1} and summary.training == 3
    assert summary.skipped_rows > 0 and not summary.screening_only
    assert sorted(p.name for p in summary.written) == ["2024-05-01_a-analyst.jsonl", "2024-05-01_b-reviewer.jsonl"]
    lines = [json.loads(line) for p in summary.written for line in p.read_text().splitlines()]
    by_passage = {line["review"]["passage_id"]: line for line in lines}
    rejected = by_passage[round_trip["rejected"][0]]
    assert rejected["relevant"] is False and rejected["themes"] == [] and rejected["labeller"] == "review:A. Analyst"
    assert rejected["date"] == "2024-05-01" and rejected["source"] == company_doc.source.filename
    assert rejected["review"]["comment"] == "a commitment, not about this"
    assert rejected["review"]["doc_sha256"] == company_doc.doc_id
    corrected = by_passage[round_trip["corrected"][0]]
    assert round_trip["corrected"][1] in corrected["themes"] and corrected["relevant"] is True


def test_rescreen_after_import_changes_the_affected_cells(round_trip, company_doc):
    before, after = company_doc.scorecard, round_trip["doc2"].scorecard
    rejected, r_theme, r_step = round_trip["rejected"]
    assert before.cells[r_theme][r_step].score > 0 and after.cells[r_theme][r_step].score == 0
    assert after.cells[r_theme][r_step].n_evidence == 0
    corrected, c_theme, c_step = round_trip["corrected"]
    assert before.cells[c_theme][c_step].score == 0 and after.cells[c_theme][c_step].score > 0
    [ev] = [e for e in after.cells[c_theme][c_step].evidence if e.passage_id == corrected]
    assert ev.review.verdict == "corrected" and ev.review.reviewer == "A. Analyst" and ev.review.date == "2024-05-01"
    assert (ev.relevant, ev.theme, ev.needs_review) == (1.0, 1.0, False)
    accepted = round_trip["accepted"].split("-", 1)[1]
    confirmed = [e for t in after.cells for s in after.cells[t] for e in after.cells[t][s].evidence
                 if e.passage_id == accepted]
    assert confirmed and all(e.review.verdict == "confirmed" and e.review.reviewer == "B. Reviewer" for e in confirmed)
    p = next(p for p in round_trip["doc2"].passages if p.id == rejected)
    assert p.labels.review.verdict == "rejected" and not p.labels.decisions.relevant
    reviewed = {rejected, corrected, accepted}
    for t in after.cells:  # cells no reviewed passage is evidence of keep their score
        for s in after.cells[t]:
            ids = {e.passage_id for e in before.cells[t][s].evidence + after.cells[t][s].evidence}
            if not ids & reviewed:
                assert after.cells[t][s].score == before.cells[t][s].score, (t, s)


def test_verdicts_change_the_screening_key_so_stored_results_are_not_reused(round_trip, company_doc, company_pdf,
                                                                          resources, tmp_path):
    doc2 = round_trip["doc2"]
    assert company_doc.versions.reviews is None and doc2.versions.reviews
    assert document_key(doc2) != document_key(company_doc)
    assert result_key(company_pdf, "textile", round_trip["resources2"]) == (doc2.doc_id, document_key(doc2))
    assert result_key(company_pdf, "textile", resources) == (company_doc.doc_id, document_key(company_doc))
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    store.save(company_doc)
    store.save(doc2)
    records = records_from_store(store)
    assert len(records.screenings) == 2
    reviewed = {p["passage_id"]: p["review"] for p in records.passages if p["review"]}
    assert reviewed[round_trip["rejected"][0]]["verdict"] == "rejected"
    # the reviewed passages are not listed again; the newest screening's labels are used
    listed = {r["review_id"] for r in review_rows(records)}
    assert round_trip["accepted"] not in listed
    assert round_trip["accepted"] in {r["review_id"] for r in review_rows(records, include_reviewed=True)}


def test_a_batch_screens_a_report_again_once_its_verdicts_change(round_trip, company_doc, company_pdf, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'b.sqlite'}")
    store.save(company_doc)  # stored before the verdicts were imported
    item = BatchItem(str(company_pdf), "Acme", 2023, "textile")
    first = screen_item(item, resources=round_trip["resources2"], store=store)
    assert first.outcome == "screened" and first.screening_id == document_key(round_trip["doc2"])
    assert screen_item(item, resources=round_trip["resources2"], store=store).outcome == "reused"


def test_imvo_train_reads_the_verdicts(round_trip):
    folder = round_trip["folder"]
    assert set(iter_corpus_files(reviews=folder)) >= set(round_trip["summary"].written)
    corpus = load_corpus(reviews=folder)
    reviewed = {p.review.passage_id: p for p in corpus if p.review is not None}
    assert set(reviewed) == {round_trip["rejected"][0], round_trip["corrected"][0], round_trip["accepted"].split("-", 1)[1]}
    assert reviewed[round_trip["rejected"][0]].relevant is False
    assert len(corpus) == len(load_corpus()) + 3


def test_importing_again_replaces_instead_of_duplicating(round_trip, company_doc):
    folder = round_trip["folder"]
    files = {p: p.read_text() for p in folder.glob("*.jsonl")}
    summary = import_review_sheet(round_trip["filled"], records_from_documents([company_doc]), folder=folder,
                                  date="2024-05-01")
    assert summary.replaced == 3
    assert {p: p.read_text() for p in folder.glob("*.jsonl")} == files
    summary = import_review_sheet(round_trip["filled"], records_from_documents([company_doc]), folder=folder,
                                  date="2024-06-01")
    assert summary.replaced == 3
    assert sorted(p.name for p in folder.glob("*.jsonl")) == ["2024-06-01_a-analyst.jsonl", "2024-06-01_b-reviewer.jsonl"]
    assert len(load_verdicts(folder)) == 3


def test_invalid_rows_are_listed_and_nothing_is_written(sheet, company_doc, tmp_path):
    rows, xlsx, _ = sheet
    ids = [r["review_id"] for r in rows]
    bad = fill(xlsx, {
        ids[0]: {"verdict": "accept", "reviewer": "A"},  # valid, but must not be written either
        ids[1]: {"verdict": "maybe", "reviewer": "A"},
        ids[2]: {"verdict": "correct", "themes": "child_labor", "reviewer": "A"},
        ids[3]: {"verdict": "correct", "reviewer": "A"},
        ids[4]: {"verdict": "reject"},
        ids[5]: {"verdict": "reject", "steps": "track", "reviewer": "A"},
    }, tmp_path / "bad.xlsx")
    wb = load_workbook(bad)
    wb["review"].cell(8, 1).value = "000000000000-ffffffffffffffff"
    wb["review"].cell(8, 17).value = "accept"
    wb["review"].cell(8, 23).value = "A"
    wb.save(bad)
    folder = tmp_path / "reviews"
    with pytest.raises(ReviewError) as e:
        import_review_sheet(bad, records_from_documents([company_doc]), folder=folder)
    message = str(e.value)
    assert "6 invalid row(s); nothing was imported" in message
    for expected in ("row 3: verdict 'maybe'", "row 4: unknown theme 'child_labor' (allowed: discrimination_gender",
                     "row 5: correct needs", "row 6: no reviewer", "row 7: reject takes no labels",
                     "row 8: unknown review_id '000000000000-ffffffffffffffff'"):
        assert expected in message
    assert "row 2" not in message
    assert not folder.exists()


def test_a_semicolon_csv_from_dutch_excel_is_read(sheet, company_doc, tmp_path):
    rows, _, _ = sheet
    path = tmp_path / "sheet.csv"
    path.write_text("review_id;verdict;themes;steps;substantiated;reviewer\n"
                    f"{rows[0]['review_id']};correct;none;;nee;J. Jansen\n", encoding="utf-8-sig")
    summary = import_review_sheet(path, records_from_documents([company_doc]), folder=tmp_path / "r", date="2024-01-02")
    [line] = [json.loads(x) for x in summary.written[0].read_text().splitlines()]
    assert line["themes"] == [] and line["substantiated"] is False and line["relevant"] is True
    assert line["labeller"] == "review:J. Jansen"


def test_verdicts_on_evaluation_only_reports_never_become_training_data(sheet, company_doc, tmp_path):
    rows, _, _ = sheet
    records = records_from_documents([company_doc])
    records.screenings[0]["filename"] = "kramp_2017_jaarverslag_nl.pdf"
    path = tmp_path / "sheet.csv"
    path.write_text(f"review_id,verdict,themes,steps,substantiated,reviewer\n{rows[0]['review_id']},reject,,,,A\n")
    folder = tmp_path / "reviews"
    summary = import_review_sheet(path, records, folder=folder, date="2024-01-02")
    assert summary.training == 0 and summary.screening_only == {"evaluation-only report": 1}
    assert [p.parent.name for p in summary.written] == [SCREENING_ONLY]
    assert not list(folder.glob("*.jsonl"))
    assert not [p for p in load_corpus(reviews=folder) if p.review is not None]
    assert len(load_verdicts(folder)) == 1  # still applied when the report is screened


def test_a_csv_sheet_keeps_quoted_text_with_quotes_line_breaks_and_separators(tmp_path):
    """Passage text holds quotes, table-row line breaks and commas; the header has no quotes, which
    made a sniffed dialect drop the doubled-quote escape (found on a real report)."""
    import pandas as pd

    text = 'We contributed to IPIECA\u2019s guidance on "Labour rights risk identification", in 2021.\nRow 2 | 41%; done'
    frame = pd.DataFrame([{"review_id": "abc-1", "text": text, "verdict": "accept", "themes": "", "steps": "",
                           "substantiated": "", "reviewer": "AB"},
                          {"review_id": "abc-2", "text": "plain", "verdict": "", "themes": "", "steps": "",
                           "substantiated": "", "reviewer": ""}])
    for sep in (",", ";"):
        path = tmp_path / f"sheet{sep == ';'}.csv"
        path.write_text(frame.to_csv(index=False, sep=sep), encoding="utf-8")
        rows = read_review_sheet(path)
        assert [values["review_id"] for _, values in rows] == ["abc-1", "abc-2"]
        assert rows[0][1]["text"] == text and rows[0][1]["verdict"] == "accept" and rows[0][1]["reviewer"] == "AB"
