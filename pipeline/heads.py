"""Trained classifier heads as a plain-array artefact: `models/<name>/<version>/`.

Every label is a linear scorer on the features (passage embedding, plus a few figure-counting
features for `substantiated`, and a TF-IDF lexicon of words and word pairs, `pipeline.lexicon`),
a Platt calibration of its score, and a decision threshold chosen by
cross-validation. The folder holds `heads.npz` (arrays only, loaded with `allow_pickle=False`),
`manifest.json` (labels in order, encoder, corpus hash, thresholds, metrics, file hashes) and
`MODEL_CARD.md`. Loading checks the hashes and the encoder, and refuses anything that does not fit.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import scipy.sparse as sp

from pipeline.context import PageContext
from pipeline.errors import ModelError
from pipeline.lexicon import Lexicon
from pipeline.neighbours import K_NEIGHBOURS, TEMPERATURE, HeadMemory, dequantise, logit, quantise, unit

HEADS = ("relevant", "themes", "steps", "bank_activity", "substantiated")
BINARY_HEADS = ("relevant", "substantiated")
MANIFEST = "manifest.json"
ARRAYS = "heads.npz"
MODEL_CARD = "MODEL_CARD.md"
FORMAT_VERSION = 1

_NUMBER = re.compile(r"(?<![\w.])\d[\d.,]*(?:\s?%)?")
_PERCENT = re.compile(r"\d\s?%|\bper ?cent\b|\bprocent\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19[89]\d|20[0-4]\d)\b")
_COUNT_NOUN = re.compile(
    r"\b\d[\d.,]*\s+(?:\w+\s+){0,2}(?:audits?|suppliers?|factories|sites?|cases?|complaints?|grievances?|"
    r"workers?|employees?|farms?|mills?|clients?|projects?|assessments?|visits?|"
    r"leveranciers?|fabrieken|locaties|klachten|meldingen|werknemers|medewerkers|boeren|klanten|projecten)\b",
    re.IGNORECASE,
)
EVIDENCE_FEATURES = ("numbers", "percent", "years", "counted_nouns")


def evidence_features(texts: list[str]) -> np.ndarray:
    """Figure-counting features for `substantiated`: concrete claims carry numbers, shares, years and counts."""
    out = np.zeros((len(texts), len(EVIDENCE_FEATURES)), dtype=np.float32)
    for i, t in enumerate(texts):
        out[i, 0] = np.log1p(len(_NUMBER.findall(t)))
        out[i, 1] = 1.0 if _PERCENT.search(t) else 0.0
        out[i, 2] = np.log1p(len(_YEAR.findall(t)))
        out[i, 3] = np.log1p(len(_COUNT_NOUN.findall(t)))
    return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


@dataclass
class LinearHead:
    """One head: per-label weights, Platt calibration and thresholds. Shapes: W (L, d), others (L,)."""

    labels: list[str]
    W: np.ndarray
    b: np.ndarray
    A: np.ndarray
    B: np.ndarray
    thresholds: np.ndarray
    extra_features: bool = False
    lexical: bool = False  # the last columns of W weigh the lexicon's TF-IDF vector
    K: np.ndarray | None = None  # (L,) weight of the neighbour vote's logit; None or 0 without a vote
    memory: HeadMemory | None = None  # the training passages that vote (`pipeline.neighbours`)

    def decision(self, X: np.ndarray, T: sp.csr_matrix | None = None, V: np.ndarray | None = None) -> np.ndarray:
        """Uncalibrated scores (n, labels): dense features `X`, plus lexical features `T` for a lexical head.
        For a head with a neighbour vote, `V` (unit vectors of the passages' features) adds the vote,
        on the scale of the linear score: `z + (K / A) * logit(vote)`."""
        d = X.shape[1]
        z = X @ self.W[:, :d].T + self.b
        if self.lexical:
            if T is None or d + T.shape[1] != self.W.shape[1]:
                raise ModelError("a lexical head needs the lexicon's features")
            z = z + np.asarray(T @ self.W[:, d:].T)
        if self.votes:
            if V is None:
                raise ModelError("a head with a neighbour vote needs the passages' unit vectors")
            z = z + (self.K / self.A) * logit(self.memory.vote(V))
        return z

    @property
    def votes(self) -> bool:
        """Does the nearest-passage vote take part in this head's scores?"""
        return self.memory is not None and self.K is not None and bool(np.any(self.K))

    def proba(self, X: np.ndarray, T: sp.csr_matrix | None = None, V: np.ndarray | None = None) -> np.ndarray:
        return _sigmoid(self.A * self.decision(X, T, V) + self.B)


@dataclass
class HeadSet:
    """All five heads plus their provenance; what `classify` uses."""

    heads: dict[str, LinearHead]
    manifest: dict
    path: Path | None = None
    review_band: float = 0.1
    context: PageContext | None = None  # stage 2 of the relevance head, used when whole reports are classified
    lexicon: Lexicon | None = None  # word features of the lexical heads
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def encoder(self) -> str:
        return self.manifest["encoder"]

    @property
    def features(self) -> str:
        """Feature set the heads were trained on (see `pipeline.features`)."""
        return self.manifest.get("features", "text")

    @property
    def version(self) -> str:
        return f"{self.manifest['name']}/{self.manifest['version']}"

    def labels(self, head: str) -> list[str]:
        return self.heads[head].labels

    def threshold(self, head: str, label: str | None = None, *, context: bool = False) -> float:
        """Decision threshold of a label; `context` asks for the page-context stage's relevance threshold."""
        if context and head == "relevant" and self.context is not None:
            return self.context.threshold
        h = self.heads[head]
        return float(h.thresholds[0 if label is None else h.labels.index(label)])

    def uses_context(self, pages: np.ndarray | list | None) -> bool:
        return pages is not None and self.context is not None

    def predict_proba(self, features: np.ndarray, texts: list[str],
                      pages: np.ndarray | list | None = None) -> dict[str, np.ndarray]:
        """Calibrated probabilities per head: arrays of shape (n, labels of the head). With the `pages`
        of a whole report's passages, relevance comes from the page-context stage (see `pipeline.context`)."""
        extra = None
        T = None
        if len(features) and any(h.lexical for h in self.heads.values()):
            if self.lexicon is None:
                raise ModelError(f"{self.version} has lexical heads but no lexicon")
            T = self.lexicon.transform(texts)
        V = unit(features) if len(features) and any(h.memory is not None for h in self.heads.values()) else None
        out = {}
        for name in HEADS:
            head = self.heads[name]
            X = features
            if head.extra_features:
                if extra is None:
                    extra = evidence_features(texts)
                X = np.hstack([features, extra])
            out[name] = head.proba(X, T, V) if len(X) else np.zeros((0, len(head.labels)))
        if self.uses_context(pages) and len(features):
            z = self.heads["relevant"].decision(features, T, V)[:, 0]
            out["relevant"] = self.context.proba(z, np.asarray(pages))[:, None]
        return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_headset(heads: dict[str, LinearHead], manifest: dict, folder: Path, model_card: str,
                 context: PageContext | None = None, lexicon: Lexicon | None = None) -> Path:
    """Write arrays, manifest (with file hashes) and model card into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    memories = {name: head.memory for name, head in heads.items() if head.memory is not None}
    for name, head in heads.items():
        for key in ("W", "b", "A", "B", "thresholds"):
            arrays[f"{name}.{key}"] = np.asarray(getattr(head, key), dtype=np.float64)
        if head.memory is not None:
            arrays[f"{name}.K"] = np.asarray(head.K, dtype=np.float64)
            arrays[f"{name}.memory_rows"] = head.memory.rows.astype(np.int32)
            arrays[f"{name}.memory_y"] = head.memory.Y.astype(np.int8)
            arrays[f"{name}.memory_w"] = head.memory.W.astype(np.float32)
    if memories:  # one vector per training passage, shared by the heads that vote
        vectors = np.zeros((1 + max(int(m.rows.max()) for m in memories.values()),
                            next(iter(memories.values())).vectors.shape[1]), dtype=np.float32)
        for m in memories.values():
            vectors[m.rows] = m.vectors
        arrays["memory.vectors"], arrays["memory.scale"] = quantise(vectors)
    if context is not None:
        arrays["relevant.page_context"] = context.as_array()
    if lexicon is not None:
        arrays.update(lexicon.as_arrays())
    elif any(h.lexical for h in heads.values()):
        raise ModelError("lexical heads need their lexicon saved with them")
    np.savez_compressed(folder / ARRAYS, **arrays)
    (folder / MODEL_CARD).write_text(model_card, encoding="utf-8")
    manifest = dict(manifest)
    manifest["format_version"] = FORMAT_VERSION
    manifest["labels"] = {name: head.labels for name, head in heads.items()}
    manifest["extra_features"] = {name: head.extra_features for name, head in heads.items()}
    manifest["lexical_heads"] = [name for name, head in heads.items() if head.lexical]
    manifest["lexicon_terms"] = len(lexicon) if lexicon is not None else 0
    manifest["evidence_features"] = list(EVIDENCE_FEATURES)
    manifest["neighbours"] = ({"heads": sorted(memories), "k": K_NEIGHBOURS, "temperature": TEMPERATURE,
                               "passages": int(len(arrays["memory.vectors"]))} if memories else None)
    manifest["files"] = {ARRAYS: _sha256(folder / ARRAYS), MODEL_CARD: _sha256(folder / MODEL_CARD)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return folder


def _version_key(folder: Path) -> list:
    return [int(x) if x.isdigit() else x for x in re.split(r"[.\-]", folder.name)]


def resolve_model_dir(path: Path, encoder: str | None = None) -> Path:
    """The model folder to use: `path` itself if it is a version folder, else the newest version below it
    (one or two levels down: `models/<name>/<version>/`) trained for `encoder` when one is given."""
    path = Path(path)
    if (path / MANIFEST).exists():
        return path
    candidates = [m.parent for m in (*path.glob(f"*/{MANIFEST}"), *path.glob(f"*/*/{MANIFEST}"))]
    if encoder is not None:
        matching = []
        for folder in candidates:
            try:
                if json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("encoder") == encoder:
                    matching.append(folder)
            except (OSError, json.JSONDecodeError):
                continue
        if candidates and not matching:
            raise ModelError(
                f"No model in {path} was trained for the encoder {encoder!r}. Train one with "
                f"`imvo train --encoder ...` or choose another encoder."
            )
        candidates = matching
    if not candidates:
        raise ModelError(
            f"No trained model found in {path} (no {MANIFEST}). Train one with `imvo train` "
            "or point IMVO_MODEL_DIR at a model folder."
        )
    return max(candidates, key=lambda f: (_version_key(f), f.parent.name))


def load_headset(path: Path, *, encoder: str | None = None) -> HeadSet:
    """Load a model folder after checking its file hashes and, when given, the encoder it was trained on."""
    folder = resolve_model_dir(path, encoder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ModelError(f"{folder / MANIFEST} cannot be read: {e}") from e
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{folder} has model format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}")
    for name, digest in manifest.get("files", {}).items():
        file = folder / name
        if not file.exists() or _sha256(file) != digest:
            raise ModelError(
                f"{file} does not match the hash in its manifest: the model was modified or is incomplete. "
                "Restore it from version control or retrain with `imvo train`."
            )
    if encoder is not None and manifest["encoder"] != encoder:
        raise ModelError(
            f"The model in {folder} was trained on embeddings of {manifest['encoder']!r}, but the configured "
            f"encoder is {encoder!r}. Train heads for this encoder (`imvo train --encoder ...`) or switch back."
        )
    with np.load(folder / ARRAYS, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    vectors = dequantise(arrays["memory.vectors"], arrays["memory.scale"]) if "memory.vectors" in arrays else None
    heads = {}
    for name in HEADS:
        try:
            memory = None
            if f"{name}.memory_rows" in arrays:
                if vectors is None:
                    raise ModelError(f"{folder}: head {name!r} has a neighbour vote but {ARRAYS} holds no vectors")
                rows = arrays[f"{name}.memory_rows"].astype(np.int64)
                memory = HeadMemory(vectors=vectors[rows], rows=rows,
                                    Y=arrays[f"{name}.memory_y"], W=arrays[f"{name}.memory_w"])
            heads[name] = LinearHead(
                labels=list(manifest["labels"][name]),
                W=arrays[f"{name}.W"], b=arrays[f"{name}.b"], A=arrays[f"{name}.A"], B=arrays[f"{name}.B"],
                thresholds=arrays[f"{name}.thresholds"],
                extra_features=bool(manifest["extra_features"][name]),
                lexical=name in manifest.get("lexical_heads", []),
                K=arrays.get(f"{name}.K"), memory=memory,
            )
        except KeyError as e:
            raise ModelError(f"{folder} lacks head {name!r} ({e})") from e
    context = PageContext.from_array(arrays["relevant.page_context"]) if "relevant.page_context" in arrays else None
    lexicon = Lexicon.from_arrays(arrays)
    if any(h.lexical for h in heads.values()) and lexicon is None:
        raise ModelError(f"{folder} has lexical heads but no lexicon in {ARRAYS}")
    return HeadSet(heads=heads, manifest=manifest, path=folder, review_band=float(manifest.get("review_band", 0.1)),
                   context=context, lexicon=lexicon)
