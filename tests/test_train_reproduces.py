"""The training loop, refactored, still produces the very same run records as before (bit for bit).

tests/fixtures/slice_*.json hold records of slice runs:
- MixUp at the embed site and TMix at the layer site, made with commit cc7059d, before `train()` was split into named
  steps (issue 12). A third, E-Stitchup at the layer site, was retired when issue 15 changed E-Stitchup's label weight
  on purpose (real tokens only).
- AttentionMix at the embed and layer sites, made with commit afd3434, whose attention probe still ran every block;
  the probe now stops at the layer it reads, and that must not change a single bit.
A change that moves a random draw, reorders a floating-point sum or changes a default shows up here as a different loss
or metric. Timing, versions, device and git commit are not compared; neither are parameters added to `TrainConfig`
after the fixture was made. Records depend on the torch thread count: they were made with 2 threads (this machine's
default), and the test runs them with 2.
"""
import json, os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(FIXTURES.glob("slice_*.json"))
COMPARED = ("status", "history", "validation", "test", "selection", "schema", "num_processes", "mixed_precision")
HISTORY_IGNORED = ("seconds", "eval_seconds", "train_examples_per_s")   # wall-clock, not results


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
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_train_reproduces_record(case, rt_dir, two_threads):
    from embeddings_mixup.train import TrainConfig, train
    fx = _load(case)
    rec = train(TrainConfig(**fx["call"]), progress=False)
    want = fx["record"]
    assert _results(rec) == _results(want)   # exact equality: floats bit for bit
    old = want["params"]
    assert {k: v for k, v in rec["params"].items() if k in old} == old
