"""Run PDF parsing of untrusted files in a separate process with a time and a memory limit.

PDF parsers are native code: a crafted or broken file can crash the process (segfault), hang it,
or make it allocate without bound. The extract stage therefore runs in a child process forked from a
clean fork server; the parent waits at most `timeout` seconds, the child may not map more than
`memory_mb` of address space, and a crash, hang or out-of-memory becomes an error record. Results come
back as JSON over a pipe (never pickled to disk).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import threading
import time
from contextlib import contextmanager
from multiprocessing import spawn
from pathlib import Path

from pipeline.document import Document, ErrorCategory, Stage

log = logging.getLogger(__name__)
_CONTEXT = None
_START_LOCK = threading.Lock()


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = mp.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["pipeline.extract"])
        spawn.get_preparation_data = _preparation_data  # acts only inside `_without_main`
    return _CONTEXT


_LOCAL = threading.local()


def _preparation_data(name, _original=spawn.get_preparation_data):
    data = _original(name)
    if getattr(_LOCAL, "without_main", False):
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


@contextmanager
def _without_main():
    """Start children without the caller's `__main__`.

    multiprocessing makes every forkserver child re-import the parent's main module; for the CLI
    that is the whole application (torch, sentence-transformers: ~4 s per PDF). The child runs
    `_child` from this module and needs nothing from `__main__`. Only starts made inside this
    block, on this thread, leave it out.
    """
    _LOCAL.without_main = True
    try:
        yield
    finally:
        _LOCAL.without_main = False


def _child(conn, doc_json: str, path: str, memory_mb: int, max_pages: int, workers: int) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        from pipeline.extract import extract

        doc = Document.model_validate_json(doc_json)
        extract(doc, path=Path(path), max_pages=max_pages, workers=workers)
        conn.send_bytes(b"ok" + doc.model_dump_json().encode("utf-8"))
    except MemoryError:
        conn.send_bytes(b"mem")
    except Exception as e:  # a parser bug on a damaged file: report it instead of dying with a traceback
        conn.send_bytes(b"exc" + f"{type(e).__name__}: {e}"[:500].encode("utf-8", "replace"))
    finally:
        conn.close()


class IsolatedExtraction:
    """`extract` running in a child process; `result()` waits for it (the timeout counts from the
    start), so the caller can load models meanwhile. `cancel()` kills the child."""

    def __init__(self, doc: Document, *, path: Path, timeout: float = 300, memory_mb: int = 3072,
                 max_pages: int = 2000, workers: int = 1):
        self.doc, self.timeout, self.memory_mb = doc, timeout, memory_mb
        ctx = _context()
        self._receiver, sender = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(sender, doc.model_dump_json(), str(path), memory_mb, max_pages,
                                                      workers), daemon=True)
        # Dask and other pools run tasks in daemonic processes, which multiprocessing forbids to start
        # children; the child here is always reaped, so the flag is lifted for the start only.
        me = mp.current_process()
        daemonic = me._config.get("daemon", False)
        try:
            with _START_LOCK, _without_main():
                me._config["daemon"] = False
                self._proc.start()
        finally:
            me._config["daemon"] = daemonic
        sender.close()
        self._deadline = time.monotonic() + timeout

    def _reap(self) -> None:
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()
        self._receiver.close()

    def cancel(self) -> None:
        self._proc.kill()
        self._reap()

    def result(self) -> Document:
        """The document with its pages, or with an error record saying why the child failed."""
        payload = None
        timed_out = False
        try:
            if self._receiver.poll(max(0.0, self._deadline - time.monotonic())):
                try:
                    payload = self._receiver.recv_bytes()
                except EOFError:
                    payload = None
            else:
                timed_out = True
                self._proc.kill()
        finally:
            self._reap()
        if payload is not None and payload.startswith(b"ok"):
            return Document.model_validate_json(payload[2:])
        category, message = failure_record(None if timed_out else payload, None if timed_out else self._proc.exitcode,
                                           timeout=self.timeout, memory_mb=self.memory_mb)
        self.doc.add_error(Stage.extract, category, message)
        return self.doc


def extract_isolated(doc: Document, *, path: Path, timeout: float = 300, memory_mb: int = 3072,
                     max_pages: int = 2000, workers: int = 1) -> Document:
    """`extract` in a child process; the returned document carries its pages or an error record.
    `workers` > 1 lets the child read pages in that many processes (each under the same limits)."""
    return IsolatedExtraction(doc, path=path, timeout=timeout, memory_mb=memory_mb, max_pages=max_pages,
                              workers=workers).result()


def failure_record(payload: bytes | None, exitcode: int | None, *, timeout: float, memory_mb: int) -> tuple[ErrorCategory, str]:
    """What went wrong in the child, from what it sent and how it ended."""
    if payload is not None and payload.startswith(b"exc"):
        return ErrorCategory.corrupt, (f"the PDF could not be read ({payload[3:].decode('utf-8', 'replace')}); it is "
                                       "damaged: try repairing it (e.g. `qpdf in.pdf out.pdf`) or obtain a fresh copy")
    if payload == b"mem":
        return ErrorCategory.memory_limit, (f"reading the PDF needed more than {memory_mb} MB; raise "
                                            "IMVO_EXTRACT_MEMORY_MB if the file is trusted")
    if payload is None and exitcode in (None, -signal.SIGKILL):
        return ErrorCategory.timeout, (f"reading the PDF took longer than {timeout:g} s and was stopped; raise "
                                       "IMVO_EXTRACT_TIMEOUT for very large reports")
    if exitcode == -signal.SIGABRT:
        return ErrorCategory.crashed, (f"the PDF parser aborted (SIGABRT), usually because the file needs more than "
                                       f"{memory_mb} MB (a decompression bomb or a damaged stream); obtain a fresh copy "
                                       "or raise IMVO_EXTRACT_MEMORY_MB if the file is trusted")
    if exitcode is not None and exitcode < 0:
        return ErrorCategory.crashed, (f"the PDF parser crashed ({signal.Signals(-exitcode).name}); the file is "
                                       "damaged or crafted: obtain a fresh copy")
    return ErrorCategory.crashed, f"the PDF reader stopped unexpectedly (exit code {exitcode}); obtain a fresh copy"
