"""Stage 3, embed: passage texts -> vectors through the sentence-transformers API, cached by text hash.

The cache is a small SQLite file keyed by sha256(encoder id, text), so an unchanged passage is never
encoded twice, across documents, reruns and years. Vectors are kept as float32 bytes.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from pathlib import Path

import numpy as np

from pipeline.document import Document
from pipeline.encoders import encoder_id

log = logging.getLogger(__name__)


def cache_key(encoder: str, text: str) -> str:
    return hashlib.sha256(f"{encoder}\0{text}".encode("utf-8")).hexdigest()[:40]


class EmbeddingCache:
    """Persistent text-hash -> vector store; safe to share between processes (SQLite WAL)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as con:
            con.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")

    def _connect(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=60)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
        return con

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        con = self._connect()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for key, dim, blob in con.execute(f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32, count=dim)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        con = self._connect()
        with con:
            con.executemany(
                "INSERT OR REPLACE INTO vectors (key, dim, vec) VALUES (?, ?, ?)",
                [(k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def __len__(self) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM vectors").fetchone()[0]


def encode_texts(
    texts: list[str], *, encoder, cache: EmbeddingCache | None = None, batch_size: int = 256
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` (rows in order) and how many had to be encoded (the rest came from the cache)."""
    enc_id = encoder_id(encoder)
    keys = [cache_key(enc_id, t) for t in texts]
    known = cache.get_many(list(set(keys))) if cache is not None else {}
    todo: dict[str, str] = {}
    for key, text in zip(keys, texts):
        if key not in known and key not in todo:
            todo[key] = text
    if todo:
        vectors = encoder.encode(list(todo.values()), batch_size=batch_size, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)
        fresh = {k: np.asarray(v, dtype=np.float32) for k, v in zip(todo, vectors)}
        if cache is not None:
            cache.put_many(fresh)
        known.update(fresh)
    dim = encoder.get_sentence_embedding_dimension() if not known else next(iter(known.values())).shape[0]
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, key in enumerate(keys):
        out[i] = known[key]
    return out, len(todo)


def embed(doc: Document, *, encoder, cache: EmbeddingCache | None = None, batch_size: int = 256) -> Document:
    """Set the passage embeddings (kept off the serialised document) and record the encoder used."""
    doc.versions.encoder = encoder_id(encoder)
    if doc.failed or not doc.passages:
        doc._embeddings = np.zeros((0, 0), dtype=np.float32)
        return doc
    vectors, n_new = encode_texts([p.text for p in doc.passages], encoder=encoder, cache=cache, batch_size=batch_size)
    log.info("embedded %d passages (%d new, %d from cache)", len(doc.passages), n_new, len(doc.passages) - n_new)
    doc._embeddings = vectors
    return doc
