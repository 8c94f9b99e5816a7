"""The labelled corpus: valid, attributed, free of evaluation-only sources, enough of every label."""

import json

import pytest

from pipeline.corpus import LabelledPassage, corpus_stats, load_corpus, read_jsonl
from pipeline.errors import CorpusError
from pipeline.settings import SHARED_DATA
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES

SHARED_REPORTS = SHARED_DATA / "reports"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_every_corpus_file_validates_with_unique_ids(corpus):
    assert len(corpus) > 1000
    assert len({p.id for p in corpus}) == len(corpus)


def test_real_quotes_are_short_and_attributed(corpus):
    for p in corpus:
        if p.labeller == "team:real-quote":
            assert p.source.endswith((".pdf", ".txt"))
            assert p.page is not None or p.source.endswith(".txt")
            assert len(p.text) < 1500


def test_every_label_has_positives_in_both_languages(corpus):
    stats = corpus_stats(corpus)
    for field, labels in (("themes", THEMES), ("steps", STEPS), ("bank_activity", BANK_ACTIVITIES)):
        for label in labels:
            counts = stats[field].get(label, {})
            assert counts.get("en", 0) >= 20 and counts.get("nl", 0) >= 20, (field, label, dict(counts))
    assert stats["negatives"]["en"] >= 200 and stats["negatives"]["nl"] >= 200


def test_evaluation_only_sources_are_refused(tmp_path):
    line = {"id": "x", "text": "Some passage about forced labour in the supply chain.", "lang": "en",
            "relevant": True, "themes": ["forced_labour"], "steps": [], "bank_activity": [],
            "substantiated": False, "source": "volkswagen_2023_sustainability_report_en.pdf", "page": 3,
            "labeller": "team:real-quote"}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="evaluation-only"):
        read_jsonl(path)


def test_irrelevant_passages_carry_no_labels():
    with pytest.raises(ValueError, match="not relevant"):
        LabelledPassage(id="x", text="Revenue grew by five percent this year.", lang="en", relevant=False,
                        themes=["child_labour"], steps=[], bank_activity=[], substantiated=False,
                        source="team-written", labeller="team:written")


def test_gold_set_comes_only_from_evaluation_reports_and_never_leaks_into_training(corpus):
    gold = load_corpus(evaluation=True)
    assert len(gold) >= 500
    assert all(p.labeller == "team:gold" for p in gold)
    train_texts = {" ".join(p.text.split()) for p in corpus}
    assert not [p.id for p in gold if " ".join(p.text.split()) in train_texts]


def test_no_page_of_a_report_is_quoted_more_than_three_times(corpus):
    from collections import Counter

    pages = Counter((p.source, p.page) for p in [*corpus, *load_corpus(evaluation=True)] if p.page)
    assert max(pages.values()) <= 3, [k for k, v in pages.items() if v > 3][:5]


def test_dutch_translations_pair_with_gold_passages_and_keep_their_labels(corpus):
    from pipeline.corpus import iter_corpus_files
    from pipeline.evaluate import TRANSLATION_PREFIX

    gold = {p.id: p for p in load_corpus(evaluation=True)}
    translations = load_corpus(files=iter_corpus_files(folder="evaluation/translated"), evaluation=True)
    assert len(translations) >= 400
    train_texts = {" ".join(p.text.split()) for p in corpus}
    for t in translations:
        original = gold[t.id.removeprefix(TRANSLATION_PREFIX)]
        assert t.id.startswith(TRANSLATION_PREFIX) and t.lang == "nl" and original.lang == "en"
        assert t.labeller == "team:translation"
        assert (t.relevant, t.themes, t.steps, t.bank_activity, t.substantiated, t.source, t.page) == (
            original.relevant, original.themes, original.steps, original.bank_activity, original.substantiated,
            original.source, original.page)
        assert " ".join(t.text.split()) not in train_texts


def test_second_annotation_covers_gold_passages_blind_and_unchanged():
    from pipeline.corpus import iter_corpus_files

    gold = {p.id: p for p in load_corpus(evaluation=True)}
    second = load_corpus(files=iter_corpus_files(folder="evaluation/agreement"), evaluation=True)
    assert len(second) >= 400
    for s in second:
        g = gold[s.id]
        assert s.labeller == "team:second-annotator"
        assert (s.text, s.lang, s.source, s.page) == (g.text, g.lang, g.source, g.page)
    # the sample holds every relevant gold passage, so negatives are the only sampled stratum
    assert {i for i, g in gold.items() if g.relevant} <= {s.id for s in second}


def test_every_quote_from_a_report_file_names_its_page(corpus):
    """Page provenance, and what makes the three-quotes-per-page cap checkable."""
    missing = [p.id for p in [*corpus, *load_corpus(evaluation=True)]
               if p.source.endswith((".pdf", ".txt")) and p.page is None]
    assert not missing, missing[:10]


def _located(**kw) -> dict:
    return {"id": "loc-x", "key": "0" * 20, "lang": "en", "relevant": True, "themes": ["child_labour"],
            "steps": ["remediate"], "bank_activity": [], "substantiated": True,
            "source": "fixture_report_en.pdf", "page": 1, "labeller": "team:real-located", **kw}


def test_located_passages_hold_a_location_never_text():
    from pipeline.corpus import LocatedPassage

    LocatedPassage.model_validate(_located())
    with pytest.raises(ValueError, match="text"):
        LocatedPassage.model_validate(_located(text="Child labour was found at two sites in 2023."))
    with pytest.raises(ValueError, match="page"):
        LocatedPassage.model_validate({k: v for k, v in _located().items() if k != "page"})
    with pytest.raises(ValueError, match="key"):
        LocatedPassage.model_validate(_located(key="not-a-text-key"))


def test_located_passages_read_their_text_from_the_report_as_screening_cuts_it(pdfs, tmp_path):
    import shutil

    from pipeline.context import cut_reports
    from pipeline.corpus import LocatedPassage, resolve_located, text_key

    shutil.copy(pdfs["english"], tmp_path / "fixture_report_en.pdf")
    (cut,) = cut_reports(tmp_path, {"fixture_report_en.pdf"})
    i = next(i for i, t in enumerate(cut.texts) if "Child labour was found" in t)
    good = LocatedPassage.model_validate(_located(key=text_key(cut.texts[i]), page=int(cut.pages[i])))
    (p,) = resolve_located([good], tmp_path)
    assert p.text == cut.texts[i] and p.page == cut.pages[i] and p.themes == ["child_labour"]
    assert p.heading == cut.headings[i]
    # a location that no longer matches is an error naming the passage, never a smaller corpus
    moved = good.model_copy(update={"id": "loc-moved", "page": int(cut.pages[i]) + 1})
    with pytest.raises(CorpusError, match="loc-moved"):
        resolve_located([good, moved], tmp_path)
    missing = good.model_copy(update={"id": "loc-gone", "source": "absent_report_en.pdf"})
    with pytest.raises(CorpusError, match="loc-gone"):
        resolve_located([missing], tmp_path)


def test_located_corpus_files_validate_and_train_only_on_development_reports(corpus):
    from pipeline.corpus import load_located

    located = load_located()
    assert len({p.id for p in located}) == len(located)
    assert not {p.id for p in located} & {p.id for p in corpus}
    assert all(p.labeller == "team:real-located" for p in located)
    # without the reports there is no text to read: they stay out of the corpus
    assert not [p for p in corpus if p.labeller == "team:real-located"]


@pytest.mark.skipif(not (SHARED_REPORTS / "philips_2018_annual_report_en.pdf").exists(), reason="needs ../shared/data")
def test_every_located_passage_is_found_in_its_development_report(corpus):
    from pipeline.corpus import load_located, resolve_located, text_key

    located = load_located()
    resolved = resolve_located(located, SHARED_REPORTS)
    assert len(resolved) == len(located)
    quoted = {(p.source, text_key(p.text)) for p in corpus}
    assert not [p.id for p in resolved if (p.source, text_key(p.text)) in quoted]


@pytest.mark.skipif(not (SHARED_REPORTS / "philips_2018_annual_report_en.pdf").exists(), reason="needs ../shared/data")
def test_located_gold_and_second_annotations_are_found_in_their_evaluation_reports():
    from pipeline.corpus import agreement_samples, is_evaluation_only, load_located, resolve_located

    gold = load_located(evaluation=True)
    assert all(is_evaluation_only(p.source) and p.labeller == "team:gold" for p in gold)
    assert len(resolve_located(gold, SHARED_REPORTS)) == len(gold)
    samples = agreement_samples(reports=SHARED_REPORTS)
    for population, second in samples:
        # a second annotation labels passages of the gold set it was drawn from, never others
        assert {p.id for p in second} <= {p.id for p in population}
