"""Shared fixtures: offline environment, generated PDFs, models loaded once per session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Offline and quiet before anything imports transformers or prefect.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="imvo-prefect-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import pytest  # noqa: E402

from pipeline.settings import SHARED_DATA  # noqa: E402
from tests import fixtures  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = SHARED_DATA.resolve()
REPORTS = SHARED_DATA / "reports"
SAMPLE_PDF = REPO / "corpora" / "samples" / "noordkust_mode_2023.pdf"


def pytest_addoption(parser):
    parser.addoption("--regen", action="store_true", help="regenerate checked-in expected outputs")


@pytest.fixture(scope="session")
def regen(request) -> bool:
    return bool(request.config.getoption("--regen"))


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    """Every fixture PDF, generated in code (see tests/fixtures.py)."""
    return fixtures.write_all(tmp_path_factory.mktemp("pdfs"))


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    from pipeline.settings import Settings

    return Settings(cache_dir=tmp_path_factory.mktemp("cache"), threads=os.cpu_count() or 1)


@pytest.fixture(scope="session")
def resources(settings):
    """Taxonomy, encoder, heads and cache: loaded once for the whole test session."""
    from pipeline.screen import load_resources

    return load_resources(settings)


@pytest.fixture(scope="session")
def encoder(resources):
    return resources.encoder


@pytest.fixture(scope="session")
def heads(resources):
    return resources.heads


@pytest.fixture(scope="session")
def taxonomy(resources):
    return resources.taxonomy


def real_report(name: str) -> Path:
    path = REPORTS / name
    if not path.exists():
        pytest.skip(f"real report {name} not available (../shared/data absent)")
    return path


@pytest.fixture(scope="session")
def company_pdf(tmp_path_factory) -> Path:
    """A generated company report in the style of the bundled sample (tests/fixtures.py)."""
    from pipeline.pdfgen import build_pdf

    path = tmp_path_factory.mktemp("company") / "acme_2023_sustainability_report_en.pdf"
    build_pdf(fixtures.company_report("Acme", 2023), path)
    return path


@pytest.fixture(scope="session")
def company_doc(company_pdf, resources):
    """`company_pdf` screened under the textile covenant; copy it before changing it."""
    from pipeline.screen import screen_pdf

    return screen_pdf(company_pdf, resources=resources, covenant="textile", company="Acme", year=2023)


@pytest.fixture(scope="session")
def store_with_two_years(tmp_path_factory, resources):
    """A results store with Alpha and Beta screened for 2022 and 2023 (Alpha discloses more in 2023),
    their scorecards written to `<folder>/scorecards` and recorded in the store."""
    from pipeline.batch import BatchItem, screen_item
    from pipeline.pdfgen import build_pdf
    from pipeline.store import Store

    folder = tmp_path_factory.mktemp("reports")
    store = Store(f"sqlite:///{folder / 'results.sqlite'}")
    items = []
    for company, sections in (("Alpha", (2, 5)), ("Beta", (4, 4))):
        for year, n in zip((2022, 2023), sections):
            path = folder / f"{company.lower()}_{year}.pdf"
            build_pdf(fixtures.company_report(company, year, sections=n), path)
            items.append(BatchItem(str(path), company, year, "textile"))
    results = [screen_item(i, resources=resources, store=store, out_dir=folder / "scorecards") for i in items]
    return store, items, results
