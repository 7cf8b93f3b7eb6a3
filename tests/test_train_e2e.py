"End-to-end: nbs/train.ipynb through papermill on a small slice of the real Rotten Tomatoes data."
import json

import papermill as pm
import pytest

from conftest import SMOKE, run_train_nb
from embeddings_mixup.names import SITE_METHODS

COMBOS = [("none", "mixup")] + [(s, m) for s, ms in SITE_METHODS.items() if s != "none" for m in ms]


@pytest.mark.parametrize("site,method", COMBOS, ids=[f"{s}-{m}" for s, m in COMBOS])
def test_every_site_and_method_runs(tmp_path, rt_dir, site, method):
    run_train_nb(tmp_path, data=str(rt_dir), site=site, method=method, seed=1, **SMOKE)
    rec = json.loads((tmp_path / "metrics.json").read_text())
    assert rec["status"] == "complete"
    assert rec["params"]["site"] == site and rec["params"]["method"] == method
    assert rec["data"]["split_sizes"] == {"train": 32, "validation": 32, "test": 32}
    assert rec["data"]["full_split_sizes"] == {"train": 8530, "validation": 1066, "test": 1066}
    assert len(rec["history"]) == 1 and rec["selection"]["epoch"] == 1
    for split in ("validation", "test"):
        assert set(rec[split]) >= {"accuracy", "precision", "recall", "f1"}
        assert 0 <= rec[split]["accuracy"] <= 1
    assert rec["timing"]["train_examples_per_s"] > 0
    assert (tmp_path / "curves.png").stat().st_size > 0 and (tmp_path / "history.csv").exists()
    from embeddings_mixup.runs import load_predictions                       # saved predictions give the same numbers
    from embeddings_mixup.stats import prediction_metrics
    preds = load_predictions(tmp_path)
    assert rec["predictions"] == "predictions.csv" and set(preds) == {"validation", "test"}
    for split, (probs, labels) in preds.items():
        assert len(labels) == 32 and abs(prediction_metrics(probs, labels)["accuracy"] - rec[split]["accuracy"]) < 1e-9


def test_saved_model_loads_in_a_plain_pipeline(tmp_path, rt_dir):
    from transformers import pipeline
    run_train_nb(tmp_path, data=str(rt_dir), site="pooler", seed=1, **{**SMOKE, "save_model": True})
    clf = pipeline("text-classification", model=str(tmp_path / "model"))
    out = clf(["a gorgeous, moving film", "a dull, lifeless mess"])
    assert [o["label"] in ("neg", "pos") for o in out] == [True, True]


@pytest.mark.parametrize("params,message", [
    ({"site": "embedd"}, "valid sites: none, embed, layer, encoder, pooler"),
    ({"site": "pooler", "method": "attentionmix"}, "Valid combinations"),
    ({"method": "cutmix"}, "valid methods: mixup, stitchup, attentionmix"),
    ({"lam_dist": "uniform"}, "choose one of: normal, beta"),
    ({"sitee": "embed"}, "unknown parameter(s) ['sitee']"),
])
def test_unknown_values_fail_fast_with_the_valid_list(tmp_path, rt_dir, params, message):
    with pytest.raises(pm.PapermillExecutionError) as e:
        run_train_nb(tmp_path, data=str(rt_dir), **{**SMOKE, **params})
    assert message in str(e.value)
    assert not (tmp_path / "metrics.json").exists()   # nothing half-written


def test_wandb_offline_logs_locally(tmp_path, rt_dir, monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    run_train_nb(tmp_path, data=str(rt_dir), seed=1, wandb_mode="offline", **SMOKE)
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "complete"
    assert list((tmp_path / "wandb").glob("offline-run-*")), "no offline W&B run was written"
