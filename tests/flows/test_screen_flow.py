"""The Prefect flow orchestrates the library: a real run under a temporary Prefect server."""

import json

import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.screen import screen_document, screen_report
from tests.conftest import SAMPLE_PDF


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_task_logic_without_prefect(tmp_path, settings):
    result = screen_document.fn(str(SAMPLE_PDF), str(tmp_path), "textile", "Noordkust Mode", 2023, settings)
    assert result["status"] == "ok" and result["completeness"] > 0
    assert json.loads((tmp_path / "noordkust_mode_2023.json").read_text())["scorecard"]["covenant"] == "textile"


def test_bad_file_is_a_result_not_a_crash(tmp_path, pdfs, settings):
    result = screen_document.fn(str(pdfs["encrypted"]), str(tmp_path), None, None, None, settings)
    assert result["status"] == "failed" and "encrypted" in result["errors"][0] and result["outputs"] == []


def test_flow_runs_for_real(harness, tmp_path, monkeypatch, settings):
    monkeypatch.setenv("IMVO_CACHE_DIR", str(settings.cache_dir))
    result = screen_report(str(SAMPLE_PDF), out_dir=str(tmp_path), covenant="textile")
    assert result["status"] == "ok"
    assert (tmp_path / "noordkust_mode_2023.html").exists()
