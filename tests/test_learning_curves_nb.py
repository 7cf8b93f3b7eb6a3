"nbs/learning_curves_report.ipynb, executed by papermill on synthetic learning-curve runs: the figure, the CSV, the findings; partial grids say what is missing; no runs at all do not crash it."
import numpy as np
import papermill as pm
import pandas as pd
import pytest

from conftest import ROOT
from embeddings_mixup.runs import variant_name
from embeddings_mixup.testing import fake_run

EMBED = "embed·mixup·N(0.1,0.015)"
SCATTER = np.array([-0.01, 0.005, 0.0, -0.005, 0.01])   # seeds 1-5 around a row's mean, rolled per row
SETFIT_NAMED = variant_name({"approach": "setfit"}) == "setfit"   # runs.variant_name knows `approach` (branch fewlabel)


def run_report(runs_root, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    return pm.execute_notebook(str(ROOT / "nbs" / "learning_curves_report.ipynb"), str(out_dir / "learning_curves.ipynb"),
                               cwd=str(ROOT / "nbs"), progress_bar=False, kernel_name="python3",
                               parameters={"runs_root": str(runs_root), "out_dir": str(out_dir), "allow_synthetic": True,
                                           "seeds": [1, 2, 3, 4, 5]})   # the plan: seeds 1-5 at every size


def outputs(nb):
    "Printed text and Markdown of every output."
    return "".join(o.get("text", "") + o.get("data", {}).get("text/markdown", "") + o.get("data", {}).get("text/plain", "")
                   for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def write_runs(root, rows, sizes=(16, 64), seeds=range(1, 6), data="rotten_tomatoes"):
    "Runs of `rows` (name -> (fake_run params, {size: accuracy gain over none})) at `sizes`, with predictions."
    for k, n in enumerate(sizes):
        for j, (params, gains) in enumerate(rows.values()):
            if n not in gains: continue
            for s in seeds:
                fake_run(root, **params, seed=s, acc=0.70 + 0.05 * k + gains[n] + np.roll(SCATTER, j)[s - 1],
                         train_per_class=n, data=data, predictions=True, n_examples=400)


@pytest.fixture
def partial_root(tmp_path):
    "Rotten Tomatoes at 16 and 64 per class (none, embed +0.05 at 16 only, Beta(0.4)); SST-2 at 16 (none only)."
    root = tmp_path / "curves"
    write_runs(root, {"none": (dict(site="none"), {16: 0, 64: 0}), "embed": (dict(site="embed"), {16: 0.05, 64: 0}),
                      "beta": (dict(site="embed", lam_dist="beta", alpha=0.4), {16: 0, 64: 0})})
    write_runs(root, {"none": (dict(site="none"), {16: 0})}, sizes=(16,), data="../shared/data/sst2")
    return root


def test_partial_grid_gives_figure_csv_findings_and_says_what_is_missing(partial_root, tmp_path):
    out = tmp_path / "out"
    nb = run_report(partial_root, out)
    assert (out / "fig_learning_curves.png").stat().st_size > 20_000
    csv = pd.read_csv(out / "learning_curves.csv")
    vs_none = csv[csv.diff_of == "test_accuracy vs none"].set_index(["dataset", "train_per_class", "variant"])
    assert vs_none.loc[("rotten_tomatoes", 16, EMBED), "diff_mean"] == pytest.approx(0.05)
    assert vs_none.loc[("rotten_tomatoes", 16, EMBED), "diff_t_low"] > 0
    assert vs_none.loc[("rotten_tomatoes", 64, EMBED), "diff_t_low"] < 0 < vs_none.loc[("rotten_tomatoes", 64, EMBED), "diff_t_high"]
    assert (vs_none.loc["rotten_tomatoes", "holm_family"] == 2).all()
    assert (csv.diff_of == "test_accuracy vs setfit").sum() == len(vs_none)     # the same rows, nothing paired with SetFit
    text = outputs(nb)
    assert ("- **Rotten Tomatoes** (5 seed pairs per variant and size): Δ test accuracy: at 16 per class, the interval of "
            f"1 of 2 variants excludes 0 (`{EMBED}` +0.050 [") in text
    assert "Holm's correction over the 2 variants at this size keeps 1); at 64 per class, no variant's interval excludes 0" in text
    assert "- **SST-2**: no variant has a paired `none` run yet." in text
    assert "- Rotten Tomatoes, 16/class: `layer·mixup·Beta(16)·permute` (seeds 1–5), `embed·ssmix` (seeds 1–5)" in text
    assert "- Rotten Tomatoes, 256/class: no run yet\n" in text and "- MRPC: no run yet" in text
    assert "_No SetFit run yet._" in text and "not drawn" not in text
    assert sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])) == 1


@pytest.mark.skipif(not SETFIT_NAMED, reason="runs.variant_name does not name approach='setfit' runs yet (branch fewlabel)")
def test_setfit_runs_are_compared_with_every_fine_tuning_row(tmp_path):
    root = tmp_path / "curves"
    write_runs(root, {"none": (dict(site="none"), {16: 0, 64: 0}), "embed": (dict(site="embed"), {16: 0.05, 64: 0}),
                      "setfit": (dict(site="none", approach="setfit"), {16: 0.08, 64: -0.04})})
    out = tmp_path / "out"
    text = outputs(run_report(root, out))
    assert "  - at 16 per class, all 2 fine-tuning rows lose to SetFit: `none` −0.080 [" in text
    assert "  - at 64 per class, all 2 fine-tuning rows beat SetFit: `none` +0.040 [" in text
    assert "**In short:**" in text and "at 16 per class, of 2 fine-tuning rows, 2 lose to SetFit (Holm" in text
    csv = pd.read_csv(out / "learning_curves.csv")
    assert set(csv.loc[csv.diff_of == "test_accuracy vs setfit", "variant"]) == {"none", EMBED, "setfit"}


def test_no_runs_yet_is_said_not_crashed(tmp_path):
    out = tmp_path / "out"
    text = outputs(run_report(tmp_path / "nothing_here", out))
    assert "no runs yet." in text and "fig_learning_curves.png: not drawn" in text
    assert "_No variant has a paired `none` run on a per-class sample yet._" in text
    assert pd.read_csv(out / "learning_curves.csv").empty
