"""Prefect flow: screen one report through the same library functions as `imvo screen`.

Flows only orchestrate: settings are resolved once, resources are loaded once per worker, and the
document is screened and written by `pipeline` functions. One task per document.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task

from pipeline.report import write_outputs
from pipeline.screen import Resources, load_resources, screen_pdf
from pipeline.settings import Settings
from pipeline.verdicts import load_verdicts, verdicts_signature

_RESOURCES: dict[str, Resources] = {}


_VERDICTS: dict[str, tuple] = {}


def resources_for(settings: Settings) -> Resources:
    """Load the encoder, heads and taxonomy once per worker process; reload the analysts' verdicts when
    `imvo review import` changed them (a long-running deployment must not screen with stale verdicts)."""
    key = settings.model_dump_json()
    signature = verdicts_signature(settings.reviews)
    if key not in _RESOURCES:
        _RESOURCES[key] = load_resources(settings)
    elif _VERDICTS.get(key) != signature:
        _RESOURCES[key].verdicts = load_verdicts(settings.reviews)
    _VERDICTS[key] = signature
    return _RESOURCES[key]


@task(name="screen-document")
def screen_document(path: str, out_dir: str, covenant: str | None, company: str | None, year: int | None,
                    settings: Settings, lang: str = "en") -> dict:
    """Screen one PDF and write its outputs; returns a summary (status, completeness, errors)."""
    resources = resources_for(settings)
    doc = screen_pdf(Path(path), resources=resources, covenant=covenant, company=company, year=year)
    written: list[str] = []
    if not doc.failed:
        written = [str(p) for p in write_outputs(doc, Path(out_dir), resources.taxonomy, lang=lang)]
    return {
        "doc_id": doc.doc_id, "path": path, "status": doc.status.value,
        "completeness": doc.scorecard.completeness if doc.scorecard else None,
        "errors": [e.one_line() for e in doc.errors], "outputs": written,
        "model": doc.versions.model, "taxonomy": doc.versions.taxonomy,
    }


@flow(name="screen-report")
def screen_report(path: str, out_dir: str = "out", covenant: str | None = None, company: str | None = None,
                  year: int | None = None, lang: str = "en") -> dict:
    """Screen one company or bank report and write its scorecard (HTML in UI language `lang`)."""
    settings = Settings()
    result = screen_document(path, out_dir, covenant, company, year, settings, lang)
    get_run_logger().info("%s: %s, completeness %s", Path(path).name, result["status"], result["completeness"])
    return result


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(screen_report(sys.argv[1], *sys.argv[2:3]))
