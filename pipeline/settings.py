"""One typed settings object, read once at the entry point (CLI or flow) and passed down.

Every field can be set from the environment with the `IMVO_` prefix, e.g. `IMVO_ENCODER=all-MiniLM-L6-v2`.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
# the team's real reports and labelled datasets, next to the repository when present (never copied into it)
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "imvo"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMVO_", extra="ignore")

    encoder: str = Field(
        "use-multilingual-v3",
        description="'use-multilingual-v3' (default), 'all-MiniLM-L6-v2', or the path of any "
        "sentence-transformers model folder on this machine",
    )
    model_dir: Path = Field(
        REPO_ROOT / "models",
        description="trained heads: a version folder, or a folder above it; then the newest version "
        "trained for the configured encoder is used",
    )
    corpora: Path = Field(REPO_ROOT / "corpora", description="taxonomy, covenants and labelled corpus")
    reviews_dir: Path | None = Field(
        None, description="analysts' verdicts from `imvo review import` (default: <corpora>/labelled/reviews)"
    )
    cache_dir: Path = Field(default_factory=_default_cache, description="embedding cache location")
    embedding_cache: bool = Field(True, description="cache passage embeddings by text hash")
    threads: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    covenant: str = Field("human_rights", description="covenant whose rubric scores a report by default")
    encode_batch_size: int = Field(256, ge=1)
    isolate: bool = Field(True, description="parse PDFs in a child process with time and memory limits")
    extract_timeout: float = Field(300.0, gt=0, description="seconds one PDF may take to parse")
    extract_memory_mb: int = Field(3072, ge=256, description="address space one PDF parse may use")
    max_pages: int = Field(2000, ge=1, description="pages screened per PDF at most")

    @property
    def reviews(self) -> Path:
        """Folder of imported review verdicts: training reads its `*.jsonl`, screening also `screening_only/`."""
        return self.reviews_dir or self.corpora / "labelled" / "reviews"
