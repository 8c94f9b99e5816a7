"""The scorecard and benchmark page as a person sees them: rendered in headless Chromium.

One browser for the whole session (Debian's `chromium`, never a browser downloaded by Playwright).
Screenshots go to a temporary folder (printed with `-rP`); skipped when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline.benchmark import benchmark_tables, write_benchmark_page
from pipeline.report import write_outputs
from pipeline.screen import screen_pdf
from tests.conftest import SAMPLE_PDF
from tests.fixtures import HOSTILE_PAYLOAD

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install the Debian package `chromium` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"screenshots in {folder}")
    return folder


@dataclass
class Tab:
    """A page plus what it did: requests made, dialogs opened, script errors."""

    page: object
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri())

    def visible(self, selector: str) -> bool:
        return self.page.locator(selector).is_visible()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    t = Tab(page)
    page.on("request", lambda r: t.requests.append(r.url))
    page.on("dialog", lambda d: (t.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: t.errors.append(str(e)))
    yield t
    context.close()


@pytest.fixture(scope="module")
def sample(tmp_path_factory, resources):
    """The bundled sample screened once; its scorecard beside a copy of the PDF, in English and Dutch."""
    folder = tmp_path_factory.mktemp("sample")
    pdf = folder / SAMPLE_PDF.name
    shutil.copy(SAMPLE_PDF, pdf)
    doc = screen_pdf(pdf, resources=resources, covenant="textile", company="Noordkust Mode B.V.", year=2023)
    _, en = write_outputs(doc, folder, resources.taxonomy)
    _, nl = write_outputs(doc, folder / "nl", resources.taxonomy, lang="nl")
    return doc, en, nl


def cells_with_evidence(doc) -> list[tuple[str, str]]:
    return [(t, s) for t, row in doc.scorecard.cells.items() for s, c in row.items() if c.evidence]


def test_heatmap_and_legend_are_visible_and_nothing_is_fetched(tab, sample, shots):
    doc, html, _ = sample
    tab.open(html)
    sc = doc.scorecard
    cells = tab.page.locator("#heatmap td.c")
    assert cells.count() == len(sc.themes_scored) * (len(sc.steps_scored) + 1) + len(sc.steps_scored)
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box and box["width"] > 20 and box["height"] > 20
    assert tab.visible(".legend") and tab.page.locator(".legend .sw").count() == 3
    assert tab.page.locator("#heatmap th.row", has_text="Living wage").is_visible()
    assert tab.page.inner_text("#completeness") == f"{sc.completeness:.1f}"
    assert tab.visible("#evidence .empty") and tab.page.locator(".ev:visible").count() == 0
    tab.page.screenshot(path=shots / "scorecard_full.png", full_page=True)
    assert [u for u in tab.requests if not u.startswith("file://")] == [] and tab.errors == []


def test_clicking_a_cell_reveals_its_quotes_with_page_links(tab, sample, shots):
    doc, html, _ = sample
    tab.open(html)
    (t1, s1), (t2, s2) = cells_with_evidence(doc)[:2]
    tab.page.click(f'a[data-panel="ev-theme-{t1}-{s1}"]')
    panel = tab.page.locator(f"#ev-theme-{t1}-{s1}")
    assert panel.is_visible() and not tab.visible("#evidence .empty")
    text = " ".join(panel.inner_text().split())
    for ev in doc.scorecard.cells[t1][s1].evidence:
        assert " ".join(ev.quote.split()) in text and f"page {ev.page}" in text
    links = panel.locator("a.page")
    assert links.count() == len(doc.scorecard.cells[t1][s1].evidence)
    href = links.first.get_attribute("href")
    assert href.startswith(f"{SAMPLE_PDF.name}#page=")
    target = links.first.evaluate("a => a.href")  # resolved against the page: the PDF beside it
    assert Path(target.removeprefix("file://").split("#")[0]).is_file()
    assert "sel" in tab.page.locator(f'a[data-panel="ev-theme-{t1}-{s1}"] >> xpath=..').get_attribute("class")
    panel.scroll_into_view_if_needed()
    tab.page.screenshot(path=shots / "scorecard_cell_open.png")
    tab.page.click(f'a[data-panel="ev-theme-{t2}-{s2}"]')
    assert tab.visible(f"#ev-theme-{t2}-{s2}") and not panel.is_visible()
    tab.page.click("#toggle-all")
    assert tab.page.locator(".ev:visible").count() == tab.page.locator(".ev").count() > 2
    assert tab.errors == []


def test_a_link_to_a_cell_opens_its_evidence_without_a_click(tab, sample):
    doc, html, _ = sample
    t, s = cells_with_evidence(doc)[-1]
    tab.page.goto(f"{html.resolve().as_uri()}#ev-theme-{t}-{s}")
    assert tab.visible(f"#ev-theme-{t}-{s}")


def test_hostile_text_renders_as_text_and_runs_nothing(tab, pdfs, resources, tmp_path, shots):
    doc = screen_pdf(pdfs["hostile"], resources=resources, covenant="textile", company="<script>alert('company')</script>")
    _, html = write_outputs(doc, tmp_path, resources.taxonomy)
    tab.open(html)
    hostile = [(t, s) for t, s in cells_with_evidence(doc)
               if any(HOSTILE_PAYLOAD in e.quote for e in doc.scorecard.cells[t][s].evidence)]
    assert hostile, "the hostile passages must be evidence for this test to mean anything"
    for link in tab.page.locator("a[data-panel]").all():
        link.click()
    t, s = hostile[0]
    tab.page.click(f'a[data-panel="ev-theme-{t}-{s}"]')
    assert HOSTILE_PAYLOAD in tab.page.locator(f"#ev-theme-{t}-{s} blockquote").first.inner_text()
    assert tab.page.inner_text("h1") == "<script>alert('company')</script>"
    assert tab.page.evaluate("document.querySelectorAll('img').length") == 0
    assert tab.page.evaluate("document.scripts.length") == 1
    assert tab.page.evaluate("document.querySelectorAll('i, b').length") == 0  # the PDF's <i>/<b> headings
    tab.page.screenshot(path=shots / "scorecard_hostile.png")
    assert tab.dialogs == [] and tab.errors == []


def test_dutch_scorecard_reads_in_dutch(tab, sample, shots):
    _, _, html = sample
    tab.open(html)
    assert tab.page.locator("html").get_attribute("lang") == "nl"
    assert tab.page.locator("h2").first.inner_text() == "Thema's × stappen van gepaste zorgvuldigheid"
    assert tab.page.locator("#heatmap th.row", has_text="Leefbaar loon").is_visible()
    assert "onderbouwd" in tab.page.inner_text(".legend")
    first = tab.page.locator("a[data-panel]").first
    first.click()
    assert "pagina" in tab.page.locator(".ev.open").inner_text()
    tab.page.screenshot(path=shots / "scorecard_nl.png", full_page=True)


def test_benchmark_page_ranks_compares_and_links_to_scorecards(tab, store_with_two_years, resources, tmp_path, shots):
    store, _, _ = store_with_two_years
    tables = benchmark_tables(store, "textile", 2023)
    page = write_benchmark_page(tables, store, tmp_path, "benchmark", taxonomy=resources.taxonomy,
                                covenant="textile", year=2023)
    tab.open(page)
    rows = tab.page.locator("#ranking tbody tr")
    assert [r.get_attribute("data-company") for r in rows.all()] == list(tables["ranking"]["company"])
    alpha = tab.page.locator('#ranking tr[data-company="Alpha"]')
    assert alpha.locator(".arrow.up").is_visible()
    for table in ("#themes", "#steps"):
        cells = tab.page.locator(f"{table} td.c")
        assert cells.count() > 0 and all((c.bounding_box() or {}).get("width", 0) > 20 for c in cells.all())
    assert tab.page.locator("#themes .arrow").count() > 0
    tab.page.screenshot(path=shots / "benchmark.png", full_page=True)
    alpha.locator("a.company").click()
    tab.page.wait_for_load_state()
    assert tab.page.url.endswith("/alpha_2023.html") and tab.page.inner_text("h1") == "Alpha 2023"
    assert tab.visible("#heatmap") and tab.errors == []
