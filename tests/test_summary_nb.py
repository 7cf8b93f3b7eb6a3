"nbs/summary.ipynb, executed by papermill on synthetic run records: one protocol kept per dataset, pooling reported, an unknown id refused, every output written; with predictions: the headline, ECE columns and the reliability diagram."
import papermill as pm
import pandas as pd
import pytest

from conftest import ROOT
from embeddings_mixup.testing import fake_run


def run_summary(runs_root, out_dir, **params):
    out_dir.mkdir(parents=True, exist_ok=True)
    return pm.execute_notebook(str(ROOT / "nbs" / "summary.ipynb"), str(out_dir / "summary.ipynb"), cwd=str(ROOT / "nbs"),
                               parameters={"runs_root": str(runs_root), "out_dir": str(out_dir), "allow_synthetic": True, **params},
                               progress_bar=False, kernel_name="python3")


def outputs(nb):
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def markdown(nb):
    return "".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))


def images(nb):
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.fixture
def runs_root(tmp_path):
    root = tmp_path / "runs"
    for s, (a, b) in enumerate([(0.80, 0.82), (0.81, 0.84), (0.82, 0.83)], start=1):
        fake_run(root, "none", seed=s, acc=a)
        fake_run(root, "embed", seed=s, acc=b)
        fake_run(root, "none", seed=s, acc=0.6, data="../shared/data/sst2")
    fake_run(root, "none", seed=1, acc=0.5, lr=2e-5)           # an lr-search run: another protocol, fewer runs
    return root


@pytest.fixture
def pred_root(tmp_path):
    "Runs that keep predictions: 5 seeds, an accuracy gain of 0.02, the variant overconfident (higher ECE)."
    root = tmp_path / "pred_runs"
    for s in range(1, 6):
        fake_run(root, "none", seed=s, acc=0.80 + 0.005 * s, predictions=True, confidence=0.8)
        fake_run(root, "embed", seed=s, acc=0.82 + 0.005 * s + 0.005 * (s % 2), predictions=True, confidence=0.99)
    return root


def test_summary_keeps_the_main_protocol_and_writes_every_output(runs_root, tmp_path):
    out = tmp_path / "out"
    nb = run_summary(runs_root, out)
    res = pd.read_csv(out / "results.csv")
    rt = res[res.dataset == "rotten_tomatoes"].set_index("variant")
    assert rt.loc["none", "n"] == 3                                   # the lr-search run is left out, not pooled
    assert rt.loc["none", "test_acc_mean"] == pytest.approx(0.81)
    assert rt.loc["embed·mixup·N(0.1,0.015)", "diff_mean"] == pytest.approx(0.02)
    assert res[res.dataset == "sst2"].variant.tolist() == ["none"]
    for fig in ("fig_points.png", "fig_curves.png"):
        assert (out / fig).stat().st_size > 10_000, fig
    # no run keeps predictions: calibration empty, said so, no headline (it needs ECE pairs), no reliability diagram
    assert (res.metrics_from == "metrics.json").all() and res.test_ece_mean.isna().all() and (res.n_calibrated == 0).all()
    assert not (out / "fig_reliability.png").exists() and not (out / "fig_headline.png").exists()
    text = outputs(nb)
    assert "fig_reliability.png: not drawn: no run keeps predictions.csv" in text
    assert "fig_headline.png: not drawn: plot_headline: no variant has 2 seed pairs" in text
    md = markdown(nb)
    assert "_No variant has 2 seed pairs with `none` on both comparisons yet._" in md
    assert "- **Rotten Tomatoes** (3 seed pairs with `none`):" in md and "Test ECE" not in md
    assert "left out: 1 run(s) of Rotten Tomatoes in another protocol" in text   # the lr-search run
    assert images(nb) == 2
    assert "reruns not checked:" in text and "needs a git work tree" in text   # tmp_path has no history


def test_summary_with_predictions_fills_calibration_and_draws_reliability(pred_root, tmp_path):
    out = tmp_path / "out"
    nb = run_summary(pred_root, out)
    res = pd.read_csv(out / "results.csv").set_index("variant")
    v = res.loc["embed·mixup·N(0.1,0.015)"]
    assert (res.metrics_from == "predictions").all() and (res.n_calibrated == 5).all()
    assert res.test_ece_mean.notna().all() and res.test_brier_mean.notna().all() and res.test_nll_mean.notna().all()
    assert v.test_ece_mean > res.loc["none", "test_ece_mean"] + 0.05   # confidence 0.99 against 0.8
    assert v.ece_n_pairs == 5 and v.ece_diff_t_low > 0 and v.p_ece_ttest < 0.05
    assert v.n_pairs == 5 and v.diff_t_low <= v.diff_mean <= v.diff_t_high and 0 <= v.p_example <= 1
    assert v.finding.startswith("On rotten_tomatoes, `embed·mixup·N(0.1,0.015)` changes test accuracy by between")
    for fig in ("fig_headline.png", "fig_points.png", "fig_curves.png", "fig_reliability.png"):
        assert (out / fig).stat().st_size > 10_000, fig
    assert images(nb) == 4 and "not drawn" not in outputs(nb)
    md = markdown(nb)
    assert md.startswith("| variant | Rotten Tomatoes Δ acc | Rotten Tomatoes Δ ECE |")     # the headline first
    row = next(l for l in md.splitlines() if l.startswith("| `embed·mixup·N(0.1,0.015)` |"))
    assert row.count("**") == 4, row                # both intervals (accuracy and ECE up) exclude 0: both in bold
    assert "  - Test ECE, lower is better: every variant raises mean test ECE, and for 1 of 1 the interval excludes 0" in md
    assert "Left out" not in md and "ruled out" not in md


def test_summary_with_every_protocol_pooled_says_so(runs_root, tmp_path):
    out = tmp_path / "out"
    nb = run_summary(runs_root, out, protocol_id=None)
    assert "different protocols are pooled" in outputs(nb)
    assert pd.read_csv(out / "results.csv").set_index(["dataset", "variant"]).loc[("rotten_tomatoes", "none"), "n"] == 4


def test_summary_with_an_unknown_protocol_fails_and_names_the_real_ones(runs_root, tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="no complete run has it"):
        run_summary(runs_root, tmp_path / "out", protocol_id="abcdef")
