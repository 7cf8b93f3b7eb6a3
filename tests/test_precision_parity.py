"nbs/precision_parity.ipynb on synthetic twins: equal results read as 'agrees', a bf16 loss of 3 points as 'differs'."
import json

import papermill as pm
import pytest

from conftest import ROOT
from embeddings_mixup.testing import fake_run


def twins(root, precision, shift):
    "5 seeds of none and embed MixUp on a CPU in `precision`; bf16 accuracies moved by `shift` (seed-dependent wobble)."
    for s in range(1, 6):
        for site, acc, conf in (("none", 0.82 + 0.005 * s, 0.8), ("embed", 0.83 + 0.004 * s, 0.95)):   # MixUp: ECE up
            wobble = (0.002 if precision == "bf16" else 0.0) * (s % 2 - 0.5)   # twins differ a little
            d = fake_run(root, site, seed=s, acc=acc + shift + wobble, predictions=True, n_examples=1000, confidence=conf,
                         **({"mixed_precision": "bf16"} if precision == "bf16" else {}))
            rec = json.loads((d / "metrics.json").read_text())
            rec.update(mixed_precision="bf16" if precision == "bf16" else "no", device="cpu (2 CPUs)")
            (d / "metrics.json").write_text(json.dumps(rec))


def verdict(tmp_path, shift):
    fp, bf = tmp_path / "fp32", tmp_path / "bf16"
    twins(fp, "fp32", 0.0); twins(bf, "bf16", shift)
    out = tmp_path / "parity.json"
    pm.execute_notebook(str(ROOT / "nbs" / "precision_parity.ipynb"), str(tmp_path / "parity.ipynb"),
                        cwd=str(ROOT / "nbs"), progress_bar=False, kernel_name="python3",
                        parameters={"fp32_root": str(fp), "bf16_root": str(bf), "out_json": str(out)})
    return json.loads(out.read_text())


@pytest.mark.parametrize("shift,expected", [(0.0, "agrees"), (-0.03, "differs")])
def test_parity_verdict_follows_the_rule(tmp_path, shift, expected):
    res = verdict(tmp_path, shift)
    assert res["verdict"] == expected, res["summary"]
    assert res["n_pairs"] == {"none": 5, "embed·mixup·N(0.1,0.015)": 5}
