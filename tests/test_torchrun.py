"""`torchrun --standalone --nproc_per_node 2 -m embeddings_mixup train` on CPU (gloo): a correct record.

Both ranks end with the very same weights (one digest per rank in `parameters_sha256`), every validation and test
example is evaluated once (an odd split size exercises the padding of the gather), and the record says 2 processes.
`accelerate launch --cpu --num_processes 2` needs mpirun for CPU processes (not installed here): not tested."""
import json, math, os, shutil, subprocess, sys

import pytest

from conftest import ROOT, SMOKE

TORCHRUN = shutil.which("torchrun") or os.path.join(os.path.dirname(sys.executable), "torchrun")


@pytest.mark.skipif(not os.path.exists(TORCHRUN), reason="torchrun not installed")
def test_torchrun_two_processes(rt_dir, tmp_path):
    out = tmp_path / "run"
    params = dict(SMOKE, eval_limit=SMOKE["eval_limit"] + 1, data=str(rt_dir), site="embed", save_model=True,
                  warmup_steps=0, out_dir=str(out))   # no warmup: the one optimizer step moves the weights
    from test_cli import _flags
    flags = _flags(**params)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([TORCHRUN, "--standalone", "--nproc_per_node", "2", "-m", "embeddings_mixup", "train", *flags],
                       cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rec = json.loads((out / "metrics.json").read_text())
    assert rec["status"] == "complete" and rec["num_processes"] == 2
    assert rec["effective_batch_size"] == SMOKE["batch_size"] * 2
    digests = rec["parameters_sha256"]
    assert len(digests) == 2 and digests[0] == digests[1], digests   # the ranks trained the same model
    from accelerate.utils import set_seed
    from embeddings_mixup.model import load_classifier
    from embeddings_mixup.train import parameters_sha256
    set_seed(42)   # the default seed: the initial model of this run
    assert parameters_sha256(load_classifier(None, ["neg", "pos"])) != digests[0]   # ... and it trained
    n = params["eval_limit"]
    assert rec["data"]["split_sizes"]["validation"] == n
    assert rec["evaluated"] == {"validation": n, "test": n}          # each example once, padding removed
    assert all(math.isfinite(h["train_loss"]) for h in rec["history"])
    assert r.stdout.count("complete: validation accuracy") == 1      # the summary comes from rank 0 only
    assert (out / "model" / "README.md").read_text().count("torchrun --standalone --nproc_per_node 2") == 1


@pytest.mark.skipif(not os.path.exists(TORCHRUN), reason="torchrun not installed")
def test_torchrun_ssmix(rt_dir, tmp_path):
    """SSMix under DDP: its saliency pass (a forward and a backward to the embeddings) before the mixed forward, and a
    loss over both passes, still give one all-reduced update: both ranks end with the same weights."""
    out = tmp_path / "run"
    params = dict(SMOKE, limit=64, data=str(rt_dir), site="embed", method="ssmix", warmup_steps=0, out_dir=str(out))
    from test_cli import _flags
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([TORCHRUN, "--standalone", "--nproc_per_node", "2", "-m", "embeddings_mixup", "train",
                        *_flags(**params)], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rec = json.loads((out / "metrics.json").read_text())
    assert rec["status"] == "complete" and rec["num_processes"] == 2 and rec["params"]["method"] == "ssmix"
    digests = rec["parameters_sha256"]
    assert len(digests) == 2 and digests[0] == digests[1], digests
    assert all(math.isfinite(h["train_loss"]) for h in rec["history"])
    assert rec["evaluated"] == {"validation": SMOKE["eval_limit"], "test": SMOKE["eval_limit"]}
