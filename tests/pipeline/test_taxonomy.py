"""Taxonomy and covenant files are data, validated on load."""

import shutil

import pytest

from pipeline.errors import TaxonomyError
from pipeline.settings import REPO_ROOT
from pipeline.taxonomy import BANK_ACTIVITIES, STEPS, THEMES, load_taxonomy


def test_every_shipped_file_loads_and_covers_both_languages():
    tax = load_taxonomy()
    assert {"textile", "banking", "human_rights"} <= set(tax.covenants)
    for group in (tax.labels.themes, tax.labels.steps, tax.labels.bank_activities):
        for label in group.values():
            assert label.definition.en and label.definition.nl
            assert label.phrases.en and label.phrases.nl
    assert tuple(tax.labels.themes) == THEMES and tuple(tax.labels.steps) == STEPS
    assert tuple(tax.labels.bank_activities) == BANK_ACTIVITIES


def test_textile_scores_the_nine_covenant_themes_and_banking_scores_activities():
    tax = load_taxonomy()
    assert len(tax.covenant("textile").themes) == 9
    assert "land_communities" in tax.covenant("banking").themes
    assert tax.covenant("banking").rubric.score_bank_activities


@pytest.fixture
def corpora_copy(tmp_path):
    dst = tmp_path / "corpora"
    shutil.copytree(REPO_ROOT / "corpora" / "taxonomy", dst / "taxonomy")
    shutil.copytree(REPO_ROOT / "corpora" / "covenants", dst / "covenants")
    return dst


def test_a_new_covenant_is_a_new_file(corpora_copy):
    (corpora_copy / "covenants" / "gold.yaml").write_text(
        "id: gold\nversion: '1'\nname: {en: Gold, nl: Goud}\ndescription: {en: d, nl: d}\n"
        "sources: [SER gold covenant 2017]\nthemes: [child_labour, land_communities, raw_materials]\n",
        encoding="utf-8")
    tax = load_taxonomy(corpora_copy)
    assert tax.covenant("gold").themes == ["child_labour", "land_communities", "raw_materials"]
    assert tax.covenant("gold").steps == list(STEPS)


@pytest.mark.parametrize("body, message", [
    ("themes: [child_labour, gold_mining]", "unknown theme"),
    ("themes: [child_labour]\nrubric: {step_weights: {remediate: -1}}", "positive"),
    ("themes: [child_labour]\nextra_field: 1", "Extra inputs"),
])
def test_a_broken_covenant_file_is_refused_with_its_path(corpora_copy, body, message):
    (corpora_copy / "covenants" / "broken.yaml").write_text(
        "id: broken\nversion: '1'\nname: {en: B, nl: B}\ndescription: {en: d, nl: d}\nsources: [x]\n" + body,
        encoding="utf-8")
    with pytest.raises(TaxonomyError, match="broken.yaml") as e:
        load_taxonomy(corpora_copy)
    assert message in str(e.value)


def test_unknown_covenant_names_the_known_ones():
    with pytest.raises(TaxonomyError, match="textile"):
        load_taxonomy().covenant("metals")


def test_taxonomy_version_changes_with_content(corpora_copy):
    before = load_taxonomy(corpora_copy).version
    path = corpora_copy / "covenants" / "textile.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("evidence_per_cell: 5", "evidence_per_cell: 3"), encoding="utf-8")
    assert load_taxonomy(corpora_copy).version != before
