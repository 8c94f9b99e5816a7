"""Schedules live here, in one place. `imvo serve` serves the yearly assessment from this process;
`prefect.yaml` describes the same deployment for teams that run their own Prefect server."""

from __future__ import annotations

from flows.assessment import yearly_assessment

DEPLOYMENT_NAME = "yearly-assessment"
# 1 July, 06:00 Europe/Amsterdam: annual reports over the previous year are out by then.
YEARLY_CRON = "0 6 1 7 *"
TIMEZONE = "Europe/Amsterdam"


def yearly_deployment(registry: str, db: str | None = None, out_dir: str = "out/assessment", lang: str = "en"):
    from prefect.schedules import Cron

    return yearly_assessment.to_deployment(
        name=DEPLOYMENT_NAME,
        schedule=Cron(YEARLY_CRON, timezone=TIMEZONE),
        parameters={"registry": registry, "db": db, "out_dir": out_dir, "lang": lang},
        description="Screen every signatory's newest report and write the benchmark with year-over-year changes.",
        tags=["imvo"],
    )


def serve(registry: str, db: str | None = None, out_dir: str = "out/assessment", lang: str = "en") -> None:
    """Serve the yearly assessment (blocks; the Prefect UI shows its schedule and runs)."""
    from prefect import serve as prefect_serve

    prefect_serve(yearly_deployment(registry, db, out_dir, lang))
