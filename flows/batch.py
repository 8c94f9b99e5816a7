"""Prefect flow: screen a batch of reports into the results store, one task per document.

Tasks are cached on (PDF sha256, covenant, model version, taxonomy version, hash of the analysts'
verdicts on the PDF): the cache key is the
store's screening key, and the task also checks the store, so an unchanged document is never screened
twice, even after Prefect's own cache is cleared. A killed batch resumes where it stopped: each
document is written in one transaction. Retries only cover transient I/O (a locked or unreachable
database); a bad PDF is an error record, never a retry.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.context import TaskRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from sqlalchemy.exc import OperationalError

from flows.screen import resources_for
from pipeline.batch import BatchItem, ItemResult, batch_summary, read_batch, result_key, reusable, screen_item
from pipeline.settings import Settings
from pipeline.store import Store, default_url

_STORES: dict[str, Store] = {}


def store_for(url: str) -> Store:
    if url not in _STORES:
        _STORES[url] = Store(url)
    return _STORES[url]


def _cache_key(context: TaskRunContext, params: dict) -> str | None:
    item: BatchItem = params["item"]
    path = Path(item.path)
    if item.problem or not path.is_file():
        return None  # nothing stable to key on: always run (the task records the problem)
    settings: Settings = params["settings"]
    res = resources_for(settings)
    covenant = item.covenant or settings.covenant
    _, key = result_key(path, covenant, res)
    out_dir = Path(params["out_dir"]) if params.get("out_dir") else None
    if reusable(store_for(params["db_url"]), key, out_dir)[0] is None:
        return None  # the store is the truth: a result (or scorecard) missing there is computed
    where = f"{params['db_url']}|{out_dir.resolve() if out_dir else ''}|{params.get('lang', 'en')}"
    return f"screen-{key}-{hashlib.sha256(where.encode()).hexdigest()[:12]}"


def _transient(task, task_run, state) -> bool:
    try:
        state.result()
    except (OperationalError, TimeoutError, ConnectionError):
        return True
    except Exception:
        return False
    return False


@task(name="screen-to-store", cache_key_fn=_cache_key, persist_result=True, result_serializer="json",
      retries=2, retry_delay_seconds=5,
      retry_condition_fn=_transient, task_run_name="screen {item.path}")
def screen_to_store(item: BatchItem, settings: Settings, db_url: str, out_dir: str | None = None,
                    lang: str = "en") -> dict:
    """Screen one document into the store (or reuse its stored result), writing its scorecard into
    `out_dir` when given; returns the item's outcome."""
    return screen_item(item, resources=resources_for(settings), store=store_for(db_url),
                       out_dir=Path(out_dir) if out_dir else None, lang=lang).to_dict()


@flow(name="batch-screen", task_runner=ThreadPoolTaskRunner(max_workers=1))
def batch_screen(source: str, db: str | None = None, base_dir: str | None = None, show_progress: bool = False,
                 out_dir: str | None = None, lang: str = "en") -> dict:
    """Screen every report of a manifest CSV or a folder into the store, and write each scorecard
    (JSON and HTML in UI language `lang`) into `out_dir` when given; returns the summary."""
    settings = Settings()
    db_url = db or default_url(settings.cache_dir)
    items = read_batch(Path(source), base_dir=Path(base_dir) if base_dir else None)
    logger = get_run_logger()
    futures = [screen_to_store.submit(item, settings, db_url, out_dir, lang) for item in items]
    results = []
    progress = None
    if show_progress:
        from rich.progress import Progress

        progress = Progress(transient=True)
        progress.start()
        bar = progress.add_task("screening", total=len(futures))
    try:
        for item, future in zip(items, futures):
            try:
                results.append(ItemResult(**future.result()))
            except Exception as e:  # the task itself crashed (e.g. the database stayed unreachable)
                results.append(ItemResult(item.path, item.company, item.year, "failed", errors=[f"{type(e).__name__}: {e}"]))
            if progress is not None:
                progress.update(bar, advance=1, description=Path(item.path).name[:40])
    finally:
        if progress is not None:
            progress.stop()
    summary = batch_summary(results, db_url)
    logger.info("batch: %d documents, %d screened, %d reused, %d failed", summary["documents"], summary["screened"],
                summary["reused"], summary["failed"])
    for f in summary["failures"]:
        logger.warning("failed: %s: %s", f["path"], "; ".join(f["reasons"]))
    return summary


def task_runner_for(dask_address: str | None = None, workers: int = 1):
    """The engine tasks run on: one local thread, a local Dask cluster, or an existing Dask scheduler."""
    if dask_address or workers > 1:
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
    return ThreadPoolTaskRunner(max_workers=1)
