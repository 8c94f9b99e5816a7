"""Measurements that must run in a fresh process: `python -m benchmarks.worker <task> ...`.

Each task prints one JSON object on its last line of stdout. Run from the repository root.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path


def _tree_rss_mb() -> tuple[float, float]:
    """RSS of this process and of all its descendants (fork server, PDF readers), in MB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    me = os.getpid()
    descendants, todo = 0, list(children.get(me, []))
    while todo:
        pid = todo.pop()
        descendants += rss.get(pid, 0)
        todo += children.get(pid, [])
    return rss.get(me, 0) / 2**20, descendants / 2**20


class TreePeak:
    """Samples the RSS of the descendants every 50 ms in a thread. `stop()` returns an upper bound of
    the tree's peak: this process's exact peak (ru_maxrss) plus the largest descendants' sum sampled
    (sampling alone misses short peaks)."""

    def __init__(self) -> None:
        self.children = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.children = max(self.children, _tree_rss_mb()[1])
            self._stop.wait(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + self.children


def screen(pdf: str) -> dict:
    """Load everything (timed), screen `pdf` with an empty embedding cache, write its outputs, then
    encode the same passages again with the same encoder (the floor's encoding part)."""
    from pipeline.report import write_outputs
    from pipeline.screen import load_resources, screen_pdf
    from pipeline.settings import Settings

    tree = TreePeak()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(cache_dir=Path(tmp) / "cache")
        resources = load_resources(settings)
        resources.encoder  # "models loaded": the screen below does not pay for the encoder load
        resources.encoder.encode(["warm up"], show_progress_bar=False)
        startup = time.perf_counter() - start

        t0 = time.perf_counter()
        doc = screen_pdf(Path(pdf), resources=resources, covenant="human_rights")
        t1 = time.perf_counter()
        write_outputs(doc, Path(tmp) / "out", resources.taxonomy)
        t2 = time.perf_counter()

        texts = [p.text for p in doc.passages]
        t3 = time.perf_counter()
        resources.encoder.encode(texts, batch_size=settings.encode_batch_size, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)
        floor_encode = time.perf_counter() - t3
    stages = {k: round(v, 3) for k, v in doc._timings.items()}
    stages["write_outputs"] = round(t2 - t1, 3)
    peak_tree = tree.stop()
    return {"pages": len(doc.pages), "passages": len(texts), "chars": sum(map(len, texts)),
            "status": doc.status.value, "startup_s": round(startup, 3), "screen_s": round(t2 - t0, 3),
            "stages": stages, "floor_encode_s": round(floor_encode, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "peak_tree_rss_mb": round(peak_tree, 1)}


def batch(folder: str, db: str) -> dict:
    """Screen every PDF of `folder` with the batch flow, sampling this process's RSS as it goes."""
    from flows.batch import batch_screen
    from pipeline.store import Store

    store = Store(db)
    samples: list[tuple[float, int, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter(), store.counts().get("screenings", 0), _tree_rss_mb()[0]))
            done.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    tree = TreePeak()
    start = time.perf_counter()
    sampler.start()
    summary = batch_screen(folder, db=db)
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    by_count: dict[int, float] = {}
    for _, n, rss in samples:
        by_count[n] = max(by_count.get(n, 0.0), rss)
    return {"documents": summary["documents"], "screened": summary["screened"], "failed": summary["failed"],
            "wall_s": round(wall, 2), "rss_by_done": {str(k): round(v, 1) for k, v in sorted(by_count.items())},
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "peak_tree_rss_mb": round(tree.stop(), 1)}


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    task, *args = sys.argv[1:]
    result = {"screen": screen, "batch": batch}[task](*args)
    print(json.dumps(result))
