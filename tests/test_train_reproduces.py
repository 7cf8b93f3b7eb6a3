"""The training loop, refactored, still produces the same run records as before.

tests/fixtures/slice_*.json hold records of slice runs:
- MixUp at the embed site and TMix at the layer site, made with commit cc7059d, before `train()` was split into named
  steps (issue 12). A third, E-Stitchup at the layer site, was retired when issue 15 changed E-Stitchup's label weight
  on purpose (real tokens only).
- AttentionMix at the embed and layer sites, made with commit afd3434, whose attention probe still ran every block;
  the probe now stops at the layer it reads, and that must not change a single bit.
A change that moves a random draw or changes a default shows up here as a different loss or metric. Counts, classes
and accuracies must be equal; floats must agree to `RTOL`: the same code gives last-bit differences on another CPU model
(seen: the train loss differed by 2e-8, relative, on an Intel Xeon against the records' machine), because the math
libraries pick kernels by CPU. A reordered floating-point sum on the same machine stays within `RTOL`, so this test does
not see it. Timing, versions, device and git commit are not compared; neither are parameters added to `TrainConfig`
after the fixture was made. Records depend on the torch thread count: they were made with 2 threads (this machine's
default), and the test runs them with 2.
"""
import json, os
from pathlib import Path

import pytest

from conftest import torch_threads

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(FIXTURES.glob("slice_*.json"))
COMPARED = ("status", "history", "validation", "test", "selection", "schema", "num_processes", "mixed_precision")
HISTORY_IGNORED = ("seconds", "eval_seconds", "train_examples_per_s")   # wall-clock, not results
RTOL = 1e-6   # relative tolerance of floats (kernels differ by CPU model); a moved random draw changes them by far more


def _differences(got, want, where="record"):
    "Places where `got` and `want` differ: floats beyond `RTOL`, anything else at all."
    if isinstance(want, dict) and isinstance(got, dict):
        if set(got) != set(want): return [f"{where}: keys {sorted(set(got) ^ set(want))}"]
        return [d for k in want for d in _differences(got[k], want[k], f"{where}.{k}")]
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want): return [f"{where}: {len(got)} items, want {len(want)}"]
        return [d for i, (g, w) in enumerate(zip(got, want)) for d in _differences(g, w, f"{where}[{i}]")]
    if isinstance(want, float) and isinstance(got, float):
        return [] if abs(got - want) <= RTOL * max(abs(want), 1e-12) else [f"{where}: {got!r}, want {want!r}"]
    return [] if got == want else [f"{where}: {got!r}, want {want!r}"]


def test_differences_sees_a_changed_loss():
    want = {"history": [{"train_loss": 0.6919847279787064, "val_accuracy": 0.5625}]}
    assert _differences({"history": [{"train_loss": 0.6919847130775452, "val_accuracy": 0.5625}]}, want) == []
    assert _differences({"history": [{"train_loss": 0.6921, "val_accuracy": 0.5625}]}, want) != []
    assert _differences({"history": [{"train_loss": 0.6919847279787064, "val_accuracy": 0.59375}]}, want) != []


def _load(path):
    data_root = os.environ["EMBEDDINGS_MIXUP_DATA"]
    return json.loads(path.read_text().replace("$EMBEDDINGS_MIXUP_DATA", data_root))


def _results(rec):
    out = {k: rec[k] for k in COMPARED}
    out["history"] = [{k: v for k, v in row.items() if k not in HISTORY_IGNORED} for row in rec["history"]]
    out["data"] = {k: v for k, v in rec["data"].items() if k != "notes"}
    return out


def test_fixtures_present():
    assert len(CASES) >= 4, f"expected the four slice-run fixtures in {FIXTURES}"


@pytest.fixture
def two_threads():
    "The fixtures' thread count, whatever this machine's core count (the order of float sums depends on it)."
    with torch_threads(2): yield


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_train_reproduces_record(case, rt_dir, two_threads):
    from embeddings_mixup.config import TrainConfig
    from embeddings_mixup.train import train
    fx = _load(case)
    want = fx["record"]
    # the precision the fixture ran in ('auto' picks bf16 on CPUs with native bf16 since issue 27; it ran in fp32)
    rec = train(TrainConfig(**{**fx["call"], "mixed_precision": want["mixed_precision"]}), progress=False)
    assert _differences(_results(rec), _results(want)) == []
    old = {k: v for k, v in want["params"].items() if k != "mixed_precision"}
    assert {k: v for k, v in rec["params"].items() if k in old} == old
