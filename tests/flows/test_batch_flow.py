"""Batch screening, resuming after a kill, the yearly assessment and Dask, run for real under Prefect."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness
from typer.testing import CliRunner

from flows.assessment import yearly_assessment
from flows.batch import batch_screen, task_runner_for
from flows.cli import app
from flows.deployments import YEARLY_CRON, yearly_deployment
from pipeline.pdfgen import build_pdf
from pipeline.store import Store
from tests.fixtures import company_report, write_all

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    fx = write_all(tmp_path_factory.mktemp("fx"))
    for name in ("corrupt", "encrypted", "not_a_pdf"):
        (folder / f"{name}_2023.pdf").write_bytes(fx[name].read_bytes())
    for company in ("Alpha", "Beta"):
        build_pdf(company_report(company, 2023, sections=4), folder / f"{company.lower()}_2023_report.pdf")
    return folder


@pytest.fixture
def cache_env(monkeypatch, settings):
    monkeypatch.setenv("IMVO_CACHE_DIR", str(settings.cache_dir))


def test_batch_keeps_going_past_bad_files_and_records_them(harness, cache_env, batch_folder, tmp_path):
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    summary = batch_screen(str(batch_folder), db=db)
    assert (summary["documents"], summary["screened"], summary["failed"]) == (5, 2, 3)
    reasons = {Path(f["path"]).name: " ".join(f["reasons"]) for f in summary["failures"]}
    assert "encrypted" in reasons["encrypted_2023.pdf"] and "damaged" in reasons["corrupt_2023.pdf"]
    assert "not a PDF" in reasons["not_a_pdf_2023.pdf"]
    rows = {r["company"]: r for r in Store(db).screenings()}
    assert rows["alpha"]["status"] == "ok" and rows["alpha"]["completeness"] > 0
    assert rows["encrypted"]["status"] == "failed" and rows["encrypted"]["errors"][0]["category"] == "encrypted"

    again = batch_screen(str(batch_folder), db=db)
    assert (again["screened"], again["reused"], again["failed"]) == (0, 2, 3)
    assert all(r["outcome"] == "reused" for r in again["results"])


def test_cli_batch_exit_status_is_non_zero_and_says_why(harness, cache_env, batch_folder, tmp_path):
    result = CliRunner().invoke(app, ["batch", str(batch_folder), "--db", f"sqlite:///{tmp_path / 'c.sqlite'}"])
    assert result.exit_code == 2
    assert "encrypted_2023.pdf" in result.output and "screened 2" in result.output


def _dump_without_sources(db: str) -> dict:
    dump = Store(db).dump()
    for row in dump["screenings"]:
        row.pop("source")
    return dump


def test_killed_batch_resumes_to_the_same_store(harness, cache_env, tmp_path, settings):
    folder = tmp_path / "reports"
    folder.mkdir()
    for k in range(6):
        build_pdf(company_report(f"Company{k}", 2023, sections=5, pages=3), folder / f"company{k}_2023.pdf")
    reference = f"sqlite:///{tmp_path / 'reference.sqlite'}"
    batch_screen(str(folder), db=reference)

    db_path = tmp_path / "killed.sqlite"
    db = f"sqlite:///{db_path}"
    env = {**os.environ, "IMVO_CACHE_DIR": str(tmp_path / "fresh-cache"), "PREFECT_HOME": str(tmp_path / "prefect")}
    cmd = [str(Path(sys.executable).parent / "imvo"), "batch", str(folder), "--db", db]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    killed_at = None
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if db_path.exists():
            n = Store(db).counts()["screenings"]
            if n >= 1:
                os.killpg(proc.pid, signal.SIGKILL)
                killed_at = n
                break
        time.sleep(0.05)
    proc.wait()
    assert killed_at is not None and killed_at < 6, "the batch should have been killed part way"

    resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"reused {killed_at}" in resumed.stdout
    assert _dump_without_sources(db) == _dump_without_sources(reference)


def test_yearly_assessment_reports_changes_since_last_year(harness, cache_env, tmp_path):
    # the sample has four pages of content: Beta drops its third page (health and safety, water,
    # materials, grievances) in 2023, Alpha adds pages three and four
    for company, sections in (("Alpha", (2, 4)), ("Beta", (4, 2))):
        folder = tmp_path / "reports" / company.lower()
        folder.mkdir(parents=True)
        for year, n in zip((2022, 2023), sections):
            build_pdf(company_report(company, year, sections=n), folder / f"{company.lower()}_{year}.pdf")
    registry = tmp_path / "registry.csv"
    registry.write_text("company,covenant,reports,sector\nAlpha,textile,reports/alpha,apparel\n"
                        "Beta,textile,reports/beta,apparel\n")
    out = tmp_path / "out"
    result = yearly_assessment(str(registry), db=f"sqlite:///{tmp_path / 'a.sqlite'}", out_dir=str(out))
    assert result["batch"]["screened"] == 4
    import pandas as pd

    ranking = pd.read_csv(out / "benchmark_textile_2023_ranking.csv").set_index("company")
    assert ranking.loc["Alpha", "completeness_change"] > 0 > ranking.loc["Beta", "completeness_change"]
    yoy = pd.read_csv(out / "benchmark_textile_2023_year_over_year.csv")
    assert "improved" in set(yoy[yoy.company == "Alpha"]["change"])
    assert "declined" in set(yoy[yoy.company == "Beta"]["change"])
    assert (out / "benchmark_textile_2023.xlsx").exists() and (out / "benchmark_textile_2023_themes.parquet").exists()


def test_yearly_deployment_is_scheduled_once_a_year(tmp_path):
    deployment = yearly_deployment(str(tmp_path / "registry.csv"))
    [schedule] = deployment.schedules
    assert schedule.schedule.cron == YEARLY_CRON
    assert deployment.name == "yearly-assessment"
    assert (REPO / "prefect.yaml").read_text().count(YEARLY_CRON) == 1
    assert deployment.parameters["lang"] == "en"
    assert yearly_deployment(str(tmp_path / "registry.csv"), lang="nl").parameters["lang"] == "nl"


def test_batch_runs_on_a_local_dask_cluster(harness, cache_env, batch_folder, tmp_path):
    flow = batch_screen.with_options(task_runner=task_runner_for(workers=2))
    summary = flow(str(batch_folder), db=f"sqlite:///{tmp_path / 'd.sqlite'}")
    assert (summary["screened"] + summary["reused"], summary["failed"]) == (2, 3)


def test_batch_writes_scorecards_and_reuses_them_only_where_they_are(harness, cache_env, batch_folder, tmp_path):
    db, cards = f"sqlite:///{tmp_path / 'r.sqlite'}", tmp_path / "cards"
    first = batch_screen(str(batch_folder), db=db, out_dir=str(cards), lang="nl")
    assert sorted(p.name for p in cards.glob("*.html")) == ["alpha_2023_report.html", "beta_2023_report.html"]
    assert '<html lang="nl">' in (cards / "alpha_2023_report.html").read_text()
    assert {Path(r["scorecard"]).name for r in first["results"] if r["scorecard"]} == {
        "alpha_2023_report.html", "beta_2023_report.html"}
    again = batch_screen(str(batch_folder), db=db, out_dir=str(cards), lang="nl")
    assert (again["screened"], again["reused"]) == (0, 2)
    elsewhere = batch_screen(str(batch_folder), db=db, out_dir=str(tmp_path / "other"))
    assert (elsewhere["screened"], elsewhere["reused"]) == (2, 0)
    assert (tmp_path / "other" / "beta_2023_report.html").is_file()
