from __future__ import annotations

import pytest
import yaml

from models.taxonomy import FacetKind, LabelError, TaxonomyError, load_taxonomy, taxonomy_from_dict


def test_default_taxonomy_implements_the_codebook():
    tax = load_taxonomy()
    assert [f.id for f in tax.facets] == ["relevance", "stereotype", "exclusion", "practice", "stance"]
    assert tax.gate.output_key == "relevant"
    assert tax.facet("stereotype").label_ids == ["poverty", "dirt", "ignorance", "crime_violence", "disease", "burden"]
    assert tax.facet("exclusion").label_ids == ["hukou_welfare", "employment", "education", "segregation", "discrimination"]
    assert tax.facet("practice").label_ids == ["education", "mutual_aid", "partnership", "participation", "service_access"]
    assert tax.facet("stance").kind is FacetKind.single_label
    assert len(tax.score_keys()) == 1 + 6 + 5 + 5 + 3
    assert "exclusion.education" in tax.score_keys() and "practice.education" in tax.score_keys()
    assert tax.facet("stereotype").label("dirt").name_zh == "肮脏"
    assert "低端人口" in tax.cue_words()["stereotype.burden"]


def test_alternative_taxonomy_loads(repo_root):
    tax = load_taxonomy(repo_root / "tests" / "fixtures" / "taxonomy_alt.yaml")
    assert tax.gate.output_key == "about_housing"
    assert tax.score_keys() == ["about_housing", "frame.cost", "frame.eviction", "tone.negative", "tone.mixed", "tone.positive"]


def test_validate_labels_normalises_and_gates():
    tax = load_taxonomy()
    out = tax.validate_labels({"relevant": True, "stereotype": ["burden", "dirt", "dirt"], "stance": ["neutral"]})
    assert out == {"relevant": True, "stereotype": ["dirt", "burden"], "exclusion": [], "practice": [], "stance": "neutral"}
    off = tax.validate_labels({"relevant": False, "stereotype": ["dirt"], "stance": "neutral"})
    assert off == {"relevant": False, "stereotype": [], "exclusion": [], "practice": [], "stance": None}


@pytest.mark.parametrize("labels,message", [
    ({"relevant": True, "stereotype": ["dirty"]}, "did you mean 'dirt'"),
    ({"relevant": True, "stereotypes": []}, "unknown facet 'stereotypes'"),
    ({"relevant": "yes"}, "must be true or false"),
    ({"relevant": True, "stance": ["neutral", "supportive"]}, "takes one label"),
    ({"relevant": True, "exclusion": 3}, "must be a list"),
])
def test_validate_labels_errors_say_where_and_what(labels, message):
    with pytest.raises(LabelError, match=message) as err:
        load_taxonomy().validate_labels(labels, where="gold.jsonl:7")
    assert "gold.jsonl:7" in str(err.value)


def _minimal(**facet):
    base = {"id": "f", "kind": "multi_label", "labels": [{"id": "a"}, {"id": "b"}]}
    base.update(facet)
    return {"name": "t", "facets": [base]}


@pytest.mark.parametrize("data,message", [
    (_minimal(kind="multilabel"), "unknown facet kind 'multilabel' \\(did you mean 'multi_label'\\?\\)"),
    (_minimal(labels=[]), "'labels' is empty"),
    (_minimal(labels=[{"id": "a"}, {"id": "a"}]), "duplicate label id 'a'"),
    ({"name": "t", "facets": [{"id": "f", "kind": "binary", "labels": [{"id": "x"}]},
                               {"id": "f", "kind": "binary", "labels": [{"id": "y"}]}]}, "duplicate facet id"),
    ({"name": "t", "facets": []}, "non-empty list"),
    (_minimal(kind="binary"), "exactly one label"),
    (_minimal(applies_to="gate"), "no facet has 'gate: true'"),
    (_minimal(colour="red"), "unknown key 'colour'"),
    (_minimal(labels=[{"id": "a b"}, {"id": "c"}]), "must be ASCII letters"),
])
def test_bad_taxonomies_are_rejected_with_a_reason(data, message):
    with pytest.raises(TaxonomyError, match=message):
        taxonomy_from_dict(data, where="my.yaml")


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("facets: [\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="t.yaml: cannot parse"):
        load_taxonomy(bad)
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "missing.yaml")


def test_toml_and_yaml_give_the_same_taxonomy(tmp_path, repo_root):
    import json

    data = yaml.safe_load((repo_root / "tests" / "fixtures" / "taxonomy_alt.yaml").read_text(encoding="utf-8"))
    j = tmp_path / "alt.json"
    j.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert load_taxonomy(j).score_keys() == load_taxonomy(repo_root / "tests" / "fixtures" / "taxonomy_alt.yaml").score_keys()
