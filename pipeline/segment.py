"""Stage 2, segment: language per page and passage, sentences, and passages of one to four sentences.

Sentences come from spaCy (`spacy.blank("nl"|"en")` with the sentencizer) plus a rule-based
component that undoes splits after abbreviations common in reports ("bijv.", "o.a.", "No. 5",
"approx.") and starts a new sentence at list bullets. Passages are built inside one block of one
page, so they never cross a heading, a column or a page; the heading above is kept as context.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import yaml

from pipeline.document import BBox, Document, Passage, passage_id
from pipeline.settings import REPO_ROOT

log = logging.getLogger(__name__)

SPACY_LANGS = ("en", "nl")
DETECT_LANGS = ["en", "nl", "de", "fr", "es", "it"]
_BULLETS = {"•", "▪", "◦", "‣", "❖", "➢", "✓"}
_LETTERS = re.compile(r"[^\W\d_]")
_ABBREVIATIONS = REPO_ROOT / "corpora" / "segment" / "abbreviations.yaml"


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


def _fix_sentence_starts(doc):
    """spaCy component: no sentence break after abbreviations; a break before each list bullet."""
    always, before_number = _abbreviations(doc.lang_ if doc.lang_ in SPACY_LANGS else "en")
    for i in range(1, len(doc)):
        token = doc[i]
        if token.text in _BULLETS and i > 0:
            token.is_sent_start = True
            continue
        if not token.is_sent_start:
            continue
        prev = doc[i - 1]
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
            token.is_sent_start = False
        elif token.text[:1].islower() and prev.text in (".",) and len(word) <= 4:
            token.is_sent_start = False  # "approx. five", "ca. twaalf": a short word before a full stop
    return doc


@lru_cache(maxsize=None)
def sentence_splitter(lang: str):
    """spaCy pipeline for `lang` ('en' or 'nl'): blank tokenizer, sentencizer, abbreviation fixes."""
    import spacy
    from spacy.language import Language

    if "imvo_sentence_fixes" not in Language.factories:
        Language.component("imvo_sentence_fixes", func=_fix_sentence_starts)
    nlp = spacy.blank(lang if lang in SPACY_LANGS else "en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("imvo_sentence_fixes")
    return nlp


def split_sentences(texts: list[str], lang: str) -> list[list[tuple[int, int]]]:
    """Character spans of the sentences of each text."""
    nlp = sentence_splitter(lang)
    out = []
    for doc in nlp.pipe(texts, batch_size=256):
        spans = []
        for sent in doc.sents:
            start = sent.start_char
            end = sent.end_char
            if doc.text[start:end].strip():
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
