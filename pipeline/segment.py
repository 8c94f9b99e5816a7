"""Stage 2, segment: language per page and passage, sentences, and passages of one to four sentences.

Sentences come from spaCy (`spacy.blank("nl"|"en")`) and one component that applies the
sentencizer's rule on token arrays and then undoes splits after abbreviations common in reports ("bijv.", "o.a.", "No. 5",
"approx.") and starts a new sentence at list bullets. Passages are built inside one block of one
page, so they never cross a heading, a column or a page; the heading above is kept as context.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from pipeline.document import BBox, Document, Passage, passage_id
from pipeline.settings import REPO_ROOT

log = logging.getLogger(__name__)

SPACY_LANGS = ("en", "nl")
DETECT_LANGS = ["en", "nl", "de", "fr", "es", "it"]
_BULLETS = frozenset({"•", "▪", "◦", "‣", "❖", "➢", "✓"})
_LETTERS = re.compile(r"[^\W\d_]")
_ABBREVIATIONS = REPO_ROOT / "corpora" / "segment" / "abbreviations.yaml"


@lru_cache(maxsize=1)
def _punct_chars() -> frozenset[str]:
    """The sentencizer's sentence-final punctuation (imported lazily: spaCy takes seconds to import)."""
    from spacy.pipeline.sentencizer import Sentencizer

    return frozenset(Sentencizer.default_punct_chars)


@lru_cache(maxsize=1)
def _language_identifier():
    from py3langid.langid import _load_identifier

    return _load_identifier(norm_probs=True, langs=DETECT_LANGS)


def detect_language(text: str) -> tuple[str, float]:
    """Most likely language among those reports come in, with its normalised probability."""
    lang, prob = _language_identifier().classify(text[:3000])
    return lang, float(prob)


@lru_cache(maxsize=None)
def _abbreviations(lang: str, path: Path = _ABBREVIATIONS) -> tuple[frozenset[str], frozenset[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))[lang]
    return (frozenset(a.lower() for a in data["always"]),
            frozenset(a.lower() for a in data["before_number"]))


_FLAGS: dict[int, tuple[int, int]] = {}


def _flags(vocab) -> tuple[int, int]:
    """Lexeme flags 'in the sentencizer's punctuation set' and 'a list bullet', so that token
    arrays can carry them (`Doc.to_array`) instead of a set lookup per token."""
    key = id(vocab)
    if key not in _FLAGS:
        _FLAGS[key] = (vocab.add_flag(lambda text: text in _punct_chars()),
                       vocab.add_flag(lambda text: text in _BULLETS))
    return _FLAGS[key]


def _set_sentence_starts(doc):
    """spaCy component: sentence starts as spaCy's sentencizer sets them, then report-specific fixes:
    no break after abbreviations, a break before each list bullet.

    The sentencizer rule (a sentence starts at the first token that is not punctuation after a
    token in its punctuation set) is computed on token arrays rather than token objects, which
    made this stage 5x faster on a 220-page report; a test checks it agrees with spaCy's.
    """
    from spacy.attrs import IS_PUNCT, SENT_START

    n = len(doc)
    if n == 0:
        return doc
    punct_flag, bullet_flag = _flags(doc.vocab)
    arr = doc.to_array([IS_PUNCT, punct_flag, bullet_flag]).astype(bool)
    is_punct, in_punct, bullet = arr[:, 0], arr[:, 1], arr[:, 2]
    candidate = ~is_punct & ~in_punct
    index = np.arange(n)
    last_punct = np.maximum.accumulate(np.where(in_punct, index, -1))
    last_candidate = np.maximum.accumulate(np.where(candidate, index, -1))
    starts = np.zeros(n, dtype=bool)
    starts[1:] = candidate[1:] & (last_punct[:-1] > last_candidate[:-1])
    starts[0] = True
    starts[1:] |= bullet[1:]
    always, before_number = _abbreviations(doc.lang_ if doc.lang_ in SPACY_LANGS else "en")
    for i in np.flatnonzero(starts[1:]) + 1:
        token, prev = doc[i], doc[i - 1]
        if token.text in _BULLETS:
            continue
        # "approx ." / "No ." (tokenised apart) or "e.g." / "bijv." (kept whole by spaCy)
        if prev.text == "." and i >= 2:
            word = doc[i - 2].text.lower()
            joined = doc[i - 2].text_with_ws == doc[i - 2].text  # "No." not "No ."
        else:
            word = prev.text.lower().rstrip(".")
            joined = prev.text.endswith(".")
        if not joined:
            continue
        if word in always or (word in before_number and token.text[:1].isdigit()):
            starts[i] = False
        elif token.text[:1].islower() and prev.text in (".",) and len(word) <= 4:
            starts[i] = False  # "approx. five", "ca. twaalf": a short word before a full stop
    values = np.where(starts, 1, -1).astype(np.int64).view(np.uint64).reshape(-1, 1)
    doc.from_array([SENT_START], values)
    return doc


@lru_cache(maxsize=None)
def sentence_splitter(lang: str):
    """spaCy pipeline for `lang` ('en' or 'nl'): blank tokenizer, then sentence starts with report fixes."""
    import spacy
    from spacy.language import Language

    if "imvo_sentences" not in Language.factories:
        Language.component("imvo_sentences", func=_set_sentence_starts)
    nlp = spacy.blank(lang if lang in SPACY_LANGS else "en")
    nlp.add_pipe("imvo_sentences")
    return nlp


def split_sentences(texts: list[str], lang: str) -> list[list[tuple[int, int]]]:
    """Character spans of the sentences of each text."""
    from spacy.attrs import IDX, LENGTH, SENT_START

    nlp = sentence_splitter(lang)
    out = []
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=256)):
        if not len(doc):
            out.append([])
            continue
        # Token attributes as arrays: iterating `doc.sents` builds a Python object per token,
        # which took most of this stage's time on a 220-page report.
        arr = doc.to_array([IDX, LENGTH, SENT_START])
        token_start, token_end = arr[:, 0], arr[:, 0] + arr[:, 1]
        firsts = np.flatnonzero(arr[:, 2] == 1).tolist()
        if not firsts or firsts[0] != 0:
            firsts.insert(0, 0)
        lasts = [f - 1 for f in firsts[1:]] + [len(doc) - 1]
        spans = []  # offsets index `text`, which is the doc's text (`doc.text` would rebuild it per token)
        for first, last in zip(firsts, lasts):
            start, end = int(token_start[first]), int(token_end[last])
            if text[start:end].strip():
                spans.append((start, end))
        out.append(spans)
    return out


def _group(spans: list[tuple[int, int]], max_sentences: int, max_chars: int) -> list[tuple[int, int, int]]:
    """Consecutive sentences into passages of at most `max_sentences` sentences and about `max_chars`.

    Groups are balanced (9 sentences -> 3+3+3, not 4+4+1), and a single overlong sentence (a
    table-like run-on or a list) is cut at word boundaries.
    """
    pieces: list[tuple[int, int, int]] = []
    run: list[tuple[int, int]] = []

    def flush() -> None:
        if not run:
            return
        n = len(run)
        k = -(-n // max_sentences)
        size = -(-n // k)
        for i in range(0, n, size):
            part = run[i:i + size]
            pieces.append((part[0][0], part[-1][1], len(part)))
        run.clear()

    for start, end in spans:
        if end - start > max_chars:
            flush()
            pieces.append((start, end, 1))  # cut below
            continue
        if run and end - run[0][0] > max_chars:
            flush()
        run.append((start, end))
    flush()
    return pieces


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    out = []
    while end - start > max_chars:
        cut = text.rfind(" ", start, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        out.append((start, cut))
        start = cut
        while start < end and text[start] == " ":
            start += 1
    if end > start:
        out.append((start, end))
    return out


def _row_spans(text: str) -> list[tuple[int, int]]:
    """Table rows (one per line) play the part of sentences."""
    spans, pos = [], 0
    for row in text.split("\n"):
        if row.strip():
            spans.append((pos, pos + len(row)))
        pos += len(row) + 1
    return spans


def _worth_a_passage(text: str) -> bool:
    """Lone figures, captions of two words and similar crumbs are kept in the page text only."""
    return len(text.split()) >= 4 and len(_LETTERS.findall(text)) >= 20


def segment(doc: Document, *, max_sentences: int = 4, max_chars: int = 1000) -> Document:
    """Fill page languages and `doc.passages`."""
    if doc.failed:
        return doc
    heading: str | None = None
    passages: list[Passage] = []
    for page in doc.pages:
        if not page.text.strip():
            continue
        page.lang, page.lang_confidence = detect_language(page.text)
        page.lang_confidence = round(page.lang_confidence, 4)
        units: list[tuple[int, int, str, int, str | None]] = []  # start, end, kind, column, heading
        texts: list[str] = []
        for block in page.blocks:
            if block.kind == "heading":
                heading = " ".join(page.text[block.start:block.end].split())[:200]
                continue
            units.append((block.start, block.end, block.kind, block.column, heading))
            texts.append(page.text[block.start:block.end])
        if not units:
            continue
        lang = page.lang if page.lang in SPACY_LANGS else "en"
        prose = [i for i, u in enumerate(units) if u[2] != "table"]
        sentence_spans: list[list[tuple[int, int]]] = [_row_spans(t) for t in texts]
        for i, spans in zip(prose, split_sentences([texts[i] for i in prose], lang)):
            sentence_spans[i] = spans
        for (b_start, _b_end, kind, column, head), text, spans in zip(units, texts, sentence_spans):
            for start, end, n_sent in _group(spans, max_sentences, max_chars):
                for s, e in _cut_long(text, start, end, max_chars):
                    while e > s and text[e - 1].isspace():
                        e -= 1
                    while s < e and text[s].isspace():
                        s += 1
                    chunk = text[s:e]
                    if not _worth_a_passage(chunk):
                        continue
                    p_start, p_end = b_start + s, b_start + e
                    p_lang, p_conf = detect_language(chunk)
                    if p_conf < 0.9 or len(chunk) < 60:
                        p_lang = page.lang
                    lines = [ln for ln in page.lines if ln.start < p_end and ln.end > p_start]
                    bbox = BBox.union([ln.bbox for ln in lines]) if lines else page.blocks[0].bbox
                    passages.append(Passage(
                        id=passage_id(doc.doc_id, page.number, p_start, p_end),
                        page=page.number, start=p_start, end=p_end, bbox=bbox, text=chunk,
                        kind="table" if kind == "table" else "paragraph", column=column,
                        heading=head, lang=p_lang, sentences=n_sent,
                    ))
    doc.passages = passages
    return doc


def plain_text_passages(path: Path) -> list[dict]:
    """Passages of a plain-text report (form feeds separate pages, blank lines paragraphs), cut with the
    same sentence rules and 1-4 sentence grouping as PDFs: `{text, page, heading: None, lang}` per passage."""
    out = []
    for number, page in enumerate(path.read_text(encoding="utf-8").split("\f"), 1):
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", page)]
        paragraphs = [re.sub(r"(\w)- (\w)", r"\1\2", p) for p in paragraphs if len(p.split()) >= 6]
        if not paragraphs:
            continue
        lang, _ = detect_language(" ".join(paragraphs))
        for text, spans in zip(paragraphs, split_sentences(paragraphs, "nl" if lang == "nl" else "en")):
            for start, end, _n in _group(spans, 4, 1000):
                chunk = text[start:end].strip()
                if len(chunk.split()) >= 6:
                    out.append({"text": chunk, "page": number, "heading": None, "lang": lang})
    return out
