"End-to-end: a sentence-pair task (MRPC) through nbs/train.ipynb with papermill, columns detected, no column parameters."
import json

import pytest

from conftest import DATA, SMOKE, run_train_nb
from embeddings_mixup.names import SITE_METHODS


@pytest.mark.parametrize("method", SITE_METHODS["embed"])   # mixup, stitchup, attentionmix, ssmix on pairs
def test_mrpc_pairs_train_end_to_end(tmp_path, method):
    run_train_nb(tmp_path, data=str(DATA / "mrpc"), site="embed", method=method, seed=1, **SMOKE)
    rec = json.loads((tmp_path / "metrics.json").read_text())
    assert rec["status"] == "complete"
    assert rec["data"]["num_classes"] == 2
    assert rec["data"]["split_sizes"] == {"train": 32, "validation": 32, "test": 32}
    assert rec["data"]["full_split_sizes"] == {"train": 3668, "validation": 408, "test": 1725}
    notes = rec["data"]["notes"]              # what load_data detected, recorded by the training code
    assert notes["columns"] == {"text": "sentence1", "text_pair": "sentence2", "label": "label"}
    assert notes["carved"] == []
    assert (tmp_path / "predictions.csv").is_file()
    for split in ("validation", "test"): assert 0 <= rec[split]["accuracy"] <= 1
