"""One exception hierarchy. Each message says what went wrong and what to do next.

Expected per-document failures (encrypted, corrupt, no text layer) are not raised through the
pipeline: they become `ErrorRecord`s on the document (see `pipeline.document`). These exceptions
are for configuration and programming errors, and for the CLI to turn into one-line messages.
"""

from __future__ import annotations


class ImvoError(Exception):
    """Base class of every error this package raises on purpose."""


class TaxonomyError(ImvoError):
    """A taxonomy or covenant file is missing or does not match its schema."""


class CorpusError(ImvoError):
    """A labelled-corpus file is malformed."""


class ModelError(ImvoError):
    """A trained model is missing, tampered with, or does not fit the configured encoder."""


class EncoderError(ImvoError):
    """The configured sentence encoder cannot be loaded."""


class RecordsError(ImvoError):
    """Screening results could not be read (a missing or malformed scorecard JSON, an empty selection)."""


class ReviewError(ImvoError):
    """A review sheet cannot be read or holds invalid rows; nothing was imported."""


class DocumentError(ImvoError):
    """A document could not be screened; carries the error records that explain why."""

    def __init__(self, message: str, records: list | None = None):
        super().__init__(message)
        self.records = records or []
