"""The tidy table: known counts, invariants under random predictions, and the corrected share against a
simulated truth."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.taxonomy import default_taxonomy_path, load_taxonomy
from trends.aggregate import COLUMNS, aggregate, period_label
from trends.config import NATIONAL, Freq, TrendsConfig, Weight
from trends.modelinfo import KeyRates, ModelInfo
from trends.source import load_predictions

TAX = load_taxonomy()
KEYS = TAX.score_keys()
GATED = KEYS[1:]


def _table(path: Path, model: ModelInfo | None = None, **cfg) -> pd.DataFrame:
    config = TrendsConfig(**{"bootstrap": 200, **cfg})
    model = model or ModelInfo(path=None, model_id=None, taxonomy=TAX)
    con = duckdb.connect()
    info = load_predictions(con, path, taxonomy=TAX, by=config.by, weight=config.weight)
    return aggregate(con, model=model, config=config, gated_keys=info.gated_keys)


def _scores(relevant: bool, labels: list[str]) -> dict[str, float]:
    return {k: (0.9 if (k == "relevant" and relevant) or k in labels else 0.1) for k in KEYS}


def test_known_counts_and_shares(make_row, write_preds, tmp_path: Path) -> None:
    rows = [
        make_row("a", "2023-01-03", "北京", relevant=True, labels=["stereotype.dirt", "stance.stigmatizing"],
                 scores=_scores(True, ["stereotype.dirt", "stance.stigmatizing"])),
        make_row("b", "2023-01-09", "北京", relevant=True, labels=["stance.neutral"], scores=_scores(True, ["stance.neutral"])),
        make_row("c", "2023-01-20", "北京", relevant=False, scores=_scores(False, [])),
        make_row("d", "2023-01-28", "北京", relevant=False),  # skipped by the prefilter: no scores
        make_row("e", "2023-02-01", "上海", relevant=True, labels=["stereotype.dirt"], scores=_scores(True, ["stereotype.dirt"])),
        make_row("f", "2023-02-11", None, relevant=True, labels=[], scores=_scores(True, [])),
    ]
    t = _table(write_preds(tmp_path / "p.jsonl", rows), min_count=2)
    assert list(t.columns) == COLUMNS

    def cell(place: str, period: str, key: str) -> dict:
        sel = t[(t.place == place) & (t.period == period) & (t.score_key == key)]
        assert len(sel) == 1, (place, period, key)
        return sel.iloc[0].to_dict()

    gate = cell("北京", "2023-01", "relevant")
    assert (gate["n_docs"], gate["n_scored"], gate["n_relevant"], gate["denom"], gate["count"]) == (4, 3, 2, 4, 2)
    assert gate["share"] == pytest.approx(0.5) and gate["denom_kind"] == "documents"
    assert gate["mean_score"] == pytest.approx((0.9 + 0.9 + 0.1) / 3)
    dirt = cell("北京", "2023-01", "stereotype.dirt")
    assert (dirt["denom"], dirt["count"], dirt["share"], dirt["denom_kind"]) == (2, 1, 0.5, "relevant")
    assert dirt["label_zh"] == "肮脏" and dirt["facet"] == "stereotype" and dirt["label"] == "dirt"
    assert (dirt["period_start"].isoformat(), dirt["period_end"].isoformat()) == ("2023-01-01", "2023-01-31")
    # no model: nothing is corrected and est is the plain share
    assert dirt["acc_ok"] == 0 and np.isnan(dirt["share_acc"]) and dirt["est"] == 0.5 and dirt["est_method"] == "cc"
    nat = cell(NATIONAL, "2023-02", "stereotype.dirt")
    assert (nat["place_level"], nat["denom"], nat["count"]) == ("national", 2, 1)
    unknown = cell("未知", "2023-02", "relevant")
    assert (unknown["place_level"], unknown["n_docs"]) == ("unknown", 1)
    assert cell("上海", "2023-02", "relevant")["small_cell"] == 1  # one document < min_count 2
    assert cell("北京", "2023-01", "relevant")["small_cell"] == 0
    # every place-period has a row for every score key
    assert (t.groupby(["place", "period"]).size() == len(KEYS)).all()


def test_gate_correction_counts_skipped_documents_as_not_relevant(make_row, write_preds, tmp_path: Path) -> None:
    rows = [make_row(f"r{i}", "2023-03-05", "深圳", relevant=True, scores=_scores(True, [])) for i in range(6)]
    rows += [make_row(f"n{i}", "2023-03-06", "深圳", relevant=False, scores=_scores(False, [])) for i in range(4)]
    rows += [make_row(f"s{i}", "2023-03-07", "深圳", relevant=False) for i in range(10)]  # prefilter-skipped
    rates = {k: KeyRates() for k in KEYS}
    rates["relevant"] = KeyRates(tpr=0.9, fpr=0.1, n_pos=200, n_neg=200)
    model = ModelInfo(path=tmp_path, model_id="m", taxonomy=TAX, error_rates=rates)
    t = _table(write_preds(tmp_path / "p.jsonl", rows), model=model)
    g = t[(t.place == "深圳") & (t.score_key == "relevant")].iloc[0]
    # observed 6/10 among scored → ACC (0.6 − 0.1) / 0.8 = 0.625 of the scored half → 0.3125 of all documents
    assert g["share"] == pytest.approx(0.3)
    assert g["share_acc"] == pytest.approx(0.625 * 10 / 20)
    assert g["acc_ok"] == 1 and g["est"] == pytest.approx(0.3125)
    assert g["share_acc_lo"] <= g["share_acc"] <= g["share_acc_hi"] <= 0.5  # at most the scored half


def test_weighted_cells_use_dup_count_and_the_effective_size(store: Path) -> None:
    plain = _table(store, min_count=1)
    weighted = _table(store, min_count=1, weight=Weight.dup_count)
    sel = lambda t: t[(t.place == "北京") & (t.period == "2023-05") & (t.score_key == "relevant")].iloc[0]
    p, w = sel(plain), sel(weighted)
    assert w["n_docs"] == p["n_docs"] + 1  # tr-022 stands for two copies
    assert w["n_eff"] < w["n_docs"]  # Kish: unequal weights carry less information than their sum
    assert p["n_eff"] == p["n_docs"]


def test_suppress_blanks_small_cells(make_row, write_preds, tmp_path: Path) -> None:
    rows = [make_row("a", "2023-01-03", "北京", relevant=True, labels=["stereotype.dirt"],
                     scores=_scores(True, ["stereotype.dirt"]))]
    t = _table(write_preds(tmp_path / "p.jsonl", rows), suppress=True, min_count=5)
    assert (t.small_cell == 1).all()
    assert t["share"].isna().all() and t["count"].isna().all() and t["est"].isna().all()
    assert (t["n_docs"] == 1).all()  # sizes stay: they say why the cell is suppressed


@pytest.mark.parametrize("freq, start, label", [
    (Freq.day, "2023-05-04", "2023-05-04"), (Freq.week, "2023-05-01", "2023-W18"), (Freq.month, "2023-05-01", "2023-05"),
    (Freq.quarter, "2023-04-01", "2023Q2"), (Freq.year, "2023-01-01", "2023"),
])
def test_period_labels(freq: Freq, start: str, label: str) -> None:
    assert period_label(start, freq) == label


# ---- invariants on random predictions ---------------------------------------------------------------
CITIES = ["北京", "上海", "深圳", None]
doc = st.tuples(st.sampled_from(CITIES), st.one_of(st.none(), st.integers(1, 6)), st.integers(1, 3),
                st.sampled_from(["skipped", "irrelevant", "relevant"]), st.sets(st.sampled_from(GATED[:6]), max_size=3),
                st.floats(0.0, 1.0))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(doc, min_size=1, max_size=40), weighted=st.booleans())
def test_counts_sum_to_the_corpus_and_intervals_hold(docs, weighted, make_row, tmp_path_factory) -> None:
    rows = []
    for i, (city, month, dup, state, labels, p) in enumerate(docs):
        relevant = state == "relevant"
        scores = None if state == "skipped" else {k: (p if k != "relevant" else (0.5 + p / 2 if relevant else p / 2))
                                                  for k in KEYS}
        rows.append(make_row(f"d{i}", f"2023-{month:02d}-15" if month else None, city, relevant=relevant,
                             labels=sorted(labels) if relevant else [], scores=scores, dup_count=dup))
    path = tmp_path_factory.mktemp("prop") / "p.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    rates = {k: KeyRates(tpr=0.8, fpr=0.1, n_pos=50, n_neg=80, soft_tpr=0.7, soft_fpr=0.2) for k in KEYS}
    model = ModelInfo(path=path.parent, model_id="m", taxonomy=TAX, error_rates=rates)
    t = _table(path, model=model, weight=Weight.dup_count if weighted else Weight.none, min_count=2)
    dated = [(r, d) for r, d in zip(rows, docs) if r["date"]]
    if not dated:
        assert t.empty
        return
    gate = t[t.score_key == "relevant"]
    nat = gate[gate.place_level == "national"].set_index("period")["n_docs"]
    by_place = gate[gate.place_level != "national"].groupby("period")["n_docs"].sum()
    assert nat.sort_index().tolist() == pytest.approx(by_place.sort_index().tolist())
    total = sum(d[2] if weighted else 1 for _, d in dated)
    assert nat.sum() == pytest.approx(total)
    # national counts of every gated key equal a direct recount
    for key in GATED[:6]:
        direct = sum((d[2] if weighted else 1) for r, d in dated if d[3] == "relevant" and key in d[4])
        assert t[(t.place_level == "national") & (t.score_key == key)]["count"].sum() == pytest.approx(direct)
    ok = t["denom"] > 0
    assert ((t["count"] >= 0) & (t["count"] <= t["denom"] + 1e-9)).all()
    for lo, mid, hi in (("share_lo", "share", "share_hi"), ("share_acc_lo", "share_acc", "share_acc_hi"),
                        ("share_pacc_lo", "share_pacc", "share_pacc_hi"), ("est_lo", "est", "est_hi")):
        sub = t[ok & t[mid].notna()]
        if mid == "share_pacc":  # the probabilistic variant is bootstrapped for cells that are not small only
            assert sub.loc[sub.small_cell == 1, lo].isna().all()
            sub = sub[sub.small_cell == 0]
        assert sub[mid].between(0, 1).all(), mid
        assert (sub[lo] <= sub[mid] + 1e-12).all() and (sub[mid] <= sub[hi] + 1e-12).all(), mid
        assert sub[lo].between(0, 1).all() and sub[hi].between(0, 1).all()
    assert t.loc[~ok, "share"].isna().all()


# ---- known answer: corrected share against a simulated truth -----------------------------------------
def _simulate(rng: np.random.Generator, n: int, prevalence: float) -> tuple[np.ndarray, np.ndarray]:
    """Gold labels and scores of a mediocre classifier: positives ~ Beta(4, 3), negatives ~ Beta(2, 4)
    (at threshold 0.5: tpr ≈ 0.66, fpr ≈ 0.19)."""
    y = rng.random(n) < prevalence
    s = np.where(y, rng.beta(4, 3, n), rng.beta(2, 4, n))
    return y, s


def test_corrected_share_recovers_a_shifting_true_prevalence(make_row, tmp_path: Path) -> None:
    """Simulated predictions with known error rates: ACC/PACC beat plain classify-and-count."""
    rng = np.random.default_rng(7)
    key, threshold = "stereotype.dirt", 0.5
    # error rates measured on a held-out labelled sample (as the model stage does)
    y_ho, s_ho = _simulate(rng, 1500, 0.3)
    d_ho = s_ho >= threshold
    rates = {k: {"tpr": None, "fpr": None, "n_pos": 0, "n_neg": 0} for k in KEYS}
    rates[key] = {"tpr": float(d_ho[y_ho].mean()), "fpr": float(d_ho[~y_ho].mean()), "n_pos": int(y_ho.sum()),
                  "n_neg": int((~y_ho).sum()), "soft_tpr": float(s_ho[y_ho].mean()), "soft_fpr": float(s_ho[~y_ho].mean()),
                  "measured_on": "simulated held-out"}
    model = tmp_path / "model"
    model.mkdir()
    shutil.copyfile(default_taxonomy_path(), model / "taxonomy.yaml")
    (model / "error_rates.json").write_text(json.dumps(rates), encoding="utf-8")
    (model / "config.json").write_text(json.dumps({"model_id": "simulated"}), encoding="utf-8")
    # 12 months, the true share rising from 5 % to 49 %
    truth = {f"2023-{m:02d}": 0.05 + 0.04 * (m - 1) for m in range(1, 13)}
    lines = []
    for period, pi in truth.items():
        y, s = _simulate(rng, 2500, pi)
        for i, (yy, ss) in enumerate(zip(y, s)):
            labels = [key] if ss >= threshold else []
            scores = {k: 0.05 for k in KEYS} | {"relevant": 0.95, key: round(float(ss), 5)}
            lines.append(json.dumps(make_row(f"{period}-{i}", f"{period}-10", "北京", relevant=True, labels=labels,
                                             scores=scores), ensure_ascii=False))
    path = tmp_path / "sim.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from trends.build import build_trends

    res = build_trends(path, tmp_path / "out", TrendsConfig(bootstrap=400), model=model)
    t = res.table[(res.table.place == "北京") & (res.table.score_key == key)].set_index("period").sort_index()
    true = np.array([truth[p] for p in t.index])
    cc_err = np.abs(t["share"] - true).mean()
    acc_err = np.abs(t["share_acc"] - true).mean()
    pcc_err = np.abs(t["mean_score"] - true).mean()
    pacc_err = np.abs(t["share_pacc"] - true).mean()
    assert acc_err < cc_err / 2, (acc_err, cc_err)
    assert pacc_err < pcc_err / 2, (pacc_err, pcc_err)
    # what remains is mostly the error of the held-out rates themselves, which the bootstrap carries
    assert acc_err < 0.05 and pacc_err < 0.05
    covered = ((t["share_acc_lo"] <= true) & (true <= t["share_acc_hi"])).mean()
    print(f"mean abs error: plain {cc_err:.4f}, ACC {acc_err:.4f}, mean score {pcc_err:.4f}, PACC {pacc_err:.4f}; "
          f"ACC interval coverage {covered:.2f}")
    assert covered >= 10 / 12
    assert (t["share_acc_hi"] - t["share_acc_lo"] > t["share_hi"] - t["share_lo"]).mean() > 0.5  # rates add width
    # the trend statistics see the rise: 4 points a month (the plain share shows a flatter one)
    s = res.stats[(res.stats.place == "北京") & (res.stats.score_key == key)].iloc[0]
    assert s["trend"] == "increasing" and s["slope"] == pytest.approx(0.04, abs=0.008)
