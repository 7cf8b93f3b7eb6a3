"""Property tests (hypothesis) for `embeddings_mixup.stats`: the saved-predictions round trip and the invariants of the
metrics and tests, over random sizes, class counts and probabilities. The notebook's inline tests hold the
hand-computed cases and the simulations with known effects."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from embeddings_mixup.stats import *
from embeddings_mixup.stats import _exact_sum_p

SETTINGS = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**31 - 1)


def probs_labels(seed, n, c, sharp=3.0):
    r = np.random.default_rng(seed)
    z = r.normal(size=(n, c)) * sharp
    p = np.exp(z - z.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True), r.integers(0, c, n)


@SETTINGS
@given(seeds, st.integers(1, 60), st.integers(2, 5))
def test_roundtrip_keeps_labels_and_probabilities(tmp_path_factory, seed, n, c):
    p, y = probs_labels(seed, n, c, sharp=6.0)
    f = save_predictions(tmp_path_factory.mktemp("run"), {"validation": (p, y), "test": (p[::-1], y[::-1])})
    back = load_predictions(f)
    assert list(back) == ["validation", "test"]
    np.testing.assert_array_equal(back["test"][1], y[::-1])
    np.testing.assert_allclose(back["validation"][0], p, rtol=1e-4, atol=1e-12)   # 5 significant digits
    assert abs(nll(*back["validation"]) - nll(p, y)) < 1e-3
    assert abs(ece(*back["validation"]) - ece(p, y)) < 1e-3


@SETTINGS
@given(seeds, st.integers(1, 200), st.integers(2, 4), st.integers(1, 20))
def test_metric_ranges_and_order_invariance(seed, n, c, bins):
    p, y = probs_labels(seed, n, c)
    m = prediction_metrics(p, y, bins)
    assert 0 <= m["accuracy"] <= 1 and 0 <= m["f1"] <= 1 and 0 <= m["ece"] <= 1 and 0 <= m["brier"] <= 2 and m["nll"] >= 0
    perm = np.random.default_rng(seed).permutation(n)
    m2 = prediction_metrics(p[perm], y[perm], bins)
    for k in m: assert abs(m[k] - m2[k]) < 1e-12, k
    rc = reliability_curve(p, y, bins)
    assert rc["n"].sum() == n
    e = rc.dropna()
    assert abs((e.n * (e.accuracy - e.confidence).abs()).sum() / n - m["ece"]) < 1e-12


@SETTINGS
@given(seeds, st.integers(1, 5), st.integers(1, 40))
def test_example_test_is_symmetric_and_a_probability(seed, s, n):
    r = np.random.default_rng(seed)
    a, b = (r.random((s, n)) < 0.8).astype(float), (r.random((s, n)) < 0.8).astype(float)
    p = example_test(a, b)
    assert 0 < p <= 1 and abs(p - example_test(b, a)) < 1e-12
    D = (a - b).sum(0)
    if np.count_nonzero(D) <= 12:                                       # brute force over every sign pattern
        nz = D[D != 0]
        signs = np.array(np.meshgrid(*[[1, -1]] * len(nz))).reshape(len(nz), -1).T if len(nz) else np.ones((1, 0))
        assert abs(p - np.mean(np.abs(signs @ nz) >= abs(D.sum()))) < 1e-9


@SETTINGS
@given(st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), max_size=12))
def test_holm_is_monotone_and_never_below_raw(ps):
    p = np.array(ps, dtype=float)
    h = holm(p)
    ok = ~np.isnan(p)
    assert np.array_equal(np.isnan(h), ~ok)
    assert (h[ok] >= p[ok] - 1e-15).all() and (h[ok] <= 1).all()
    order = np.argsort(p[ok], kind="stable")
    assert (np.diff(h[ok][order]) >= -1e-15).all()


@SETTINGS
@given(st.lists(st.floats(-0.05, 0.05), min_size=2, max_size=12))
def test_t_interval_agrees_with_t_test(d):
    lo, hi = t_interval(d)
    p = paired_t_p(d)
    if np.std(d) > 1e-9 and not np.isnan(p) and abs(p - 0.05) > 1e-6:
        assert (lo > 0 or hi < 0) == (p < 0.05)
    assert signflip_p(d) >= 2 / 2 ** len(d) - 1e-12


def test_compare_refuses_mismatched_examples():
    fr = simulate_predictions(n_examples=50, n_seeds=2)
    fr.at[2, "labels"] = fr.at[2, "labels"][::-1].copy()
    with pytest.raises(ValueError, match="disagree on the examples"): compare(fr)


def test_compare_pairs_on_extra_columns():
    fr = simulate_predictions(n_examples=80, n_seeds=3)
    both = pd.concat([fr.assign(protocol_id="a"), fr.assign(protocol_id="b")], ignore_index=True)
    with pytest.raises(ValueError, match="repeat"): compare(both)
    tab = compare(both[both.protocol_id == "a"], pair_on=("seed", "protocol_id"))
    assert tab.set_index("variant").loc["mix", "n_pairs"] == 3
    per = compare(both, pair_on=("seed", "protocol_id"), by=("dataset", "protocol_id"))
    assert list(per.protocol_id) == ["a", "a", "b", "b"] and list(per.n_pairs.fillna(0)) == [0, 3, 0, 3]
    assert np.isclose(per.d_accuracy.iloc[1], per.d_accuracy.iloc[3])            # the same runs under both labels
    assert per.finding.iloc[1].startswith("On synthetic / a, mix changes")
