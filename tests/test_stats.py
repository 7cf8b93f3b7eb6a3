"""Property tests (hypothesis) for `embeddings_mixup.stats`: the saved-predictions round trip (`runs`) and the invariants
of the metrics and tests, over random sizes, class counts and probabilities; the scipy.stats functions against what they
replaced; and the one paired comparison (`report.paired_test`) on runs whose examples or protocols differ. The
notebooks' inline tests hold the hand-computed cases and the simulations with known effects."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from itertools import product

from embeddings_mixup.report import load_runs, paired_test
from embeddings_mixup.runs import load_predictions, save_predictions
from embeddings_mixup.stats import *
from embeddings_mixup.stats import _exact_sum_p
from embeddings_mixup.testing import fake_run

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


@SETTINGS
@given(st.lists(st.floats(-0.05, 0.05), min_size=2, max_size=10))
def test_t_test_and_interval_are_scipys(d):
    "The textbook t-test and t-interval kept in stats agree with scipy.stats.ttest_1samp (see the notebook for why)."
    from scipy import stats as scipy_stats
    d = np.round(np.array(d), 12)
    if np.ptp(d) < 1e-9: return
    r = scipy_stats.ttest_1samp(d, 0)
    ci = r.confidence_interval(0.95)
    assert abs(paired_t_p(d) - r.pvalue) <= 1e-12 * max(1.0, r.pvalue)
    lo, hi = t_interval(d)
    assert abs(lo - ci.low) <= 1e-12 * (hi - lo) and abs(hi - ci.high) <= 1e-12 * (hi - lo)


@SETTINGS
@given(st.lists(st.integers(-20, 20), min_size=1, max_size=10))
def test_signflip_is_the_full_enumeration(k):
    "scipy's permutation_test gives, for up to 16 pairs, the p of all 2^n sign patterns (what stats computed by hand)."
    d = np.array(k) / 1066                                   # differences of accuracies on 1,066 examples
    brute = np.mean([abs(np.dot(s, k)) >= abs(sum(k)) for s in product((1, -1), repeat=len(k))])   # in integers: exact
    assert signflip_p(d) == brute


def _pairs(root, labels_of_seed_2=0):
    "Baseline and one variant on SST-2, 3 seeds with predictions; seed 2 of the variant on other labels if asked."
    for s in (1, 2, 3):
        fake_run(root, "none", seed=s, acc=0.8, data="../shared/data/sst2", predictions=True)
        fake_run(root, "embed", seed=s, acc=0.82, data="../shared/data/sst2", predictions=True)
    if labels_of_seed_2:
        run = next(p.parent for p in root.rglob("metrics.json") if "-embed-" in p.parent.name and "-s2-" in p.parent.name)
        preds = load_predictions(run)
        save_predictions(run, {k: (p, (y + labels_of_seed_2) % 2) for k, (p, y) in preds.items()})


def test_paired_test_refuses_mismatched_examples(tmp_path):
    "Runs of a seed pair on other examples (other labels) get no example-level test, and the note says why."
    _pairs(tmp_path / "ok"); _pairs(tmp_path / "bad", labels_of_seed_2=1)
    with pytest.warns(UserWarning): good, bad = (load_runs(tmp_path / k, verbose=False) for k in ("ok", "bad"))
    ok, off = paired_test(good).iloc[0], paired_test(bad).iloc[0]
    assert 0 < ok.p_example <= 1 and ok.note == ""
    assert np.isnan(off.p_example) and "seed 2's test examples differ" in off.note
    assert off.n_pairs == ok.n_pairs == 3


def test_paired_test_pairs_within_a_protocol(tmp_path):
    "A variant run pairs only with the baseline run of the same seed and protocol; the others are counted in the note."
    for s in (1, 2, 3):
        fake_run(tmp_path, "none", seed=s, acc=0.80 + 0.01 * s)
        fake_run(tmp_path, "embed", seed=s, acc=0.81 + 0.012 * s)
        fake_run(tmp_path, "embed", seed=s, acc=0.5, lr=3e-5)                    # another protocol: no partner
    with pytest.warns(UserWarning): runs = load_runs(tmp_path, verbose=False)
    r = paired_test(runs).iloc[0]
    assert (r.n_pairs, r.seeds) == (3, "1,2,3") and np.isclose(r.mean_diff, 0.01 + 0.002 * 2)
    assert "3 run(s) without a none run of the same seed and protocol" in r.note
