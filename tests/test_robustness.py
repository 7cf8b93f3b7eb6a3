"Nothing lost, nothing silent: bad input, interruption, determinism."
import json
import os
import signal
import subprocess
import sys
import time
import pytest

from conftest import SMOKE
from embeddings_mixup.config import ConfigError, DataError
from embeddings_mixup.data import load_data, load_rt_polarity
from embeddings_mixup.train import train
import embeddings_mixup.train as train_mod


def smoke(tmp_path, rt_dir, **kw):
    return dict(data=str(rt_dir), out_dir=str(tmp_path / "run"), **{**SMOKE, **kw})


# --- bad input: one clear paragraph, nothing half-written -------------------------------------------------------

@pytest.mark.parametrize("bad,message", [
    ({"epochs": 0}, "epochs=0 must be a positive integer"),
    ({"batch_size": 0}, "batch_size=0 must be a positive integer"),
    ({"batch_size": -4}, "batch_size=-4 must be a positive integer"),
    ({"lr": 0}, "lr=0 must be a positive number"),
    ({"lr": float("nan")}, "must be a positive number"),
    ({"limit": 0}, "limit=0 must be a positive integer"),
    ({"site": "embedding"}, "valid sites: none, embed, layer, encoder, pooler"),
    ({"method": "mixupp"}, "valid methods: mixup, stitchup, attentionmix"),
    ({"lam_dist": "gamma"}, "lam_dist='gamma' is not valid; choose one of: normal, beta"),
    ({"pairing": "random"}, "choose one of: flip, permute"),
    ({"wandb_mode": "on"}, "choose one of: disabled, offline, online"),
    ({"lam_mean": 1.5}, "lam_mean=1.5 must lie in [0, 1]"),
    ({"site": "embed", "mix_layers": [3]}, "only used with site='layer'"),
    ({"not_a_param": 1}, "unknown parameter(s) ['not_a_param']; valid parameters: data, model, approach, site"),
])
def test_bad_parameters_fail_before_any_work(tmp_path, rt_dir, bad, message):
    with pytest.raises(ConfigError) as e:
        train(smoke(tmp_path, rt_dir, **bad), progress=False)
    assert message in str(e.value)
    assert not (tmp_path / "run").exists()


def test_max_len_beyond_the_model(tmp_path, rt_dir):
    with pytest.raises(DataError, match=r"max_len=1024 is beyond what this model accepts \(512 tokens\)"):
        train(smoke(tmp_path, rt_dir, max_len=1024), progress=False)
    assert not (tmp_path / "run").exists()


def test_missing_data_path(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        train(dict(data=str(tmp_path / "nowhere"), out_dir=str(tmp_path / "run"), **SMOKE), progress=False)
    assert not (tmp_path / "run").exists()


def write_splits(folder, train, validation=None, test=None, ext="csv"):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("train", train), ("validation", validation or train), ("test", test or train)):
        if text is not None: (folder / f"{name}.{ext}").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("files,message", [
    (dict(train="sentence,stars\ngood,1\nbad,0\n"), "no label column"),
    (dict(train="words,label\ngood,1\nbad,0\n"), "no text column"),
    (dict(train="text,label\ngood,1\nbad,2\n", validation="text,label\nok,0\n"), "label(s) [0] outside [1, 2]"),
    (dict(train="text,label\ngood,1\nbad,0\n", validation="text,label\nok,5\n"), "the validation split has label(s) [5] outside 0..1"),
    (dict(train="text,label\n ,1\n\t,0\n"), "train.csv line 2: empty text"),
    (dict(train="text,label\ngood,pos\nbad,1\n"), "mix numbers and names"),
    (dict(train="text,label\ngood,0\ngood,0\n"), "only one class"),
])
def test_bad_tables_say_what_is_wrong(tmp_path, files, message):
    with pytest.raises(DataError) as e:
        load_data(write_splits(tmp_path / "d", **files))
    assert message in str(e.value)


def test_missing_split(tmp_path):
    d = write_splits(tmp_path / "d", "text,label\ngood,1\nbad,0\n")
    (d / "train.csv").unlink()   # a missing validation or test is carved from train; a missing train is an error
    with pytest.raises(DataError, match="no train file"):
        load_data(d)


def test_empty_texts_are_errors_naming_the_line(tmp_path):
    # every line is an example or an error naming the line (issue 14): no silent drop
    d = write_splits(tmp_path / "d", "text,label\ngood,1\n   ,0\nbad,0\n,1\n")
    with pytest.raises(DataError, match=r"train.csv line 3: empty text"):
        load_data(d)


def test_string_labels_get_a_stated_mapping(tmp_path):
    d = write_splits(tmp_path / "d", "text,label\ngood,positive\nbad,negative\n")
    dd = load_data(d)
    assert dd["train"].features["label"].names == ["negative", "positive"]
    assert list(dd["train"]["label"]) == [1, 0]


def test_not_utf8_is_an_error_not_mojibake(tmp_path):
    d = tmp_path / "d"; d.mkdir()
    for s in ("train", "validation", "test"): (d / f"{s}.csv").write_bytes("text,label\ncafé,1\nbad,0\n".encode("latin-1"))
    with pytest.raises(DataError, match="not valid utf-8"):
        load_data(d)
    assert load_data(d, encoding="latin-1")["train"][0]["text"] == "café"


def test_rt_polarity_encodings_are_never_mangled(tmp_path, rt_dir):
    # the original latin-1 files, and a copy re-saved as UTF-8, give the same texts
    ref = load_rt_polarity(rt_dir)
    d = tmp_path / "rt"; d.mkdir()
    for f in ("rt-polarity.pos", "rt-polarity.neg"):
        (d / f).write_text((rt_dir / f).read_bytes().decode("latin-1"), encoding="utf-8")
    with pytest.warns(UserWarning, match="differ from the original"):
        utf8 = load_rt_polarity(d)
    assert utf8["train"]["text"][:] == ref["train"]["text"][:]
    # forcing the wrong codec on the original is an error, not silent mojibake
    with pytest.raises(DataError, match="not valid utf-8"):
        load_rt_polarity(rt_dir, encoding="utf-8")


def test_model_path_that_is_not_a_checkpoint(tmp_path, rt_dir):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="is not a checkpoint: it has no config.json"):
        train(smoke(tmp_path, rt_dir, model=str(tmp_path / "empty")), progress=False)
    assert not (tmp_path / "run").exists()


def test_non_finite_loss_stops_names_the_step_and_keeps_the_last_good_checkpoint(tmp_path, rt_dir, monkeypatch):
    import embeddings_mixup.model as model_mod   # the loss of a batch is computed by model.mixed_loss
    real = model_mod.soft_cross_entropy
    calls = {"n": 0}
    def poisoned(logits, targets, *a, **k):
        calls["n"] += 1
        loss = real(logits, targets, *a, **k)
        return loss * float("nan") if calls["n"] == 3 else loss   # step 3 = first step of epoch 2
    monkeypatch.setattr(model_mod, "soft_cross_entropy", poisoned)
    with pytest.raises(train_mod.NonFiniteLoss, match="at epoch 2, step 3"):
        train(smoke(tmp_path, rt_dir, epochs=2, save_model=True), progress=False)
    rec = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert rec["status"] == "failed" and "epoch 2, step 3" in rec["error"]
    assert [h["epoch"] for h in rec["history"]] == [1]
    assert (tmp_path / "run" / "model" / "config.json").exists()   # the epoch-1 checkpoint


# --- interruption -----------------------------------------------------------------------------------------

CHILD = """
import sys
from embeddings_mixup.train import train
train(dict(data=sys.argv[1], out_dir=sys.argv[2], limit=64, eval_limit=32, epochs=50, batch_size=16, max_len=32, save_model=False), progress=False)
"""

def test_a_killed_run_keeps_finished_epochs_and_never_a_half_written_record(tmp_path, rt_dir):
    out = tmp_path / "run"
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(rt_dir), str(out)], env=os.environ.copy(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            m = out / "metrics.json"
            if m.exists() and len(json.loads(m.read_text())["history"]) >= 2: break
            time.sleep(0.2)
        else: pytest.fail("the child run wrote no epoch in time")
        p.send_signal(signal.SIGKILL)
    finally:
        p.wait(30)
    rec = json.loads((out / "metrics.json").read_text())   # parses: never half-written
    assert rec["status"] == "running"                       # so a sweep knows to rerun it
    assert len(rec["history"]) >= 2 and all(h["epoch"] == i + 1 for i, h in enumerate(rec["history"]))
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]


def test_ctrl_c_records_the_interruption(tmp_path, rt_dir):
    out = tmp_path / "run"
    # a shell starts background jobs (`pytest ... &`, nohup) with SIGINT ignored, and Python then installs no
    # KeyboardInterrupt handler: the child gets the default disposition back, as a run started from a terminal has
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(rt_dir), str(out)], env=os.environ.copy(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 180
    while not (out / "metrics.json").exists() and time.time() < deadline: time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    try: p.wait(180)   # the record is written at once; the interpreter's exit can take a minute on a loaded machine
    except subprocess.TimeoutExpired: p.kill(); pytest.fail("the run did not exit within 180 s of Ctrl-C")
    rec = json.loads((out / "metrics.json").read_text())
    assert rec["status"] == "interrupted" and rec["error"] == "KeyboardInterrupt"


# --- determinism ------------------------------------------------------------------------------------------

def numbers(rec):
    return {"history": [{k: v for k, v in h.items() if "seconds" not in k and "per_s" not in k} for h in rec["history"]],
            "validation": rec["validation"], "test": rec["test"]}

def test_same_seed_same_numbers_different_seed_different_numbers(tmp_path, rt_dir):
    # layer/stitchup draws from every random stream: batches, lam, partners, the layer k and stitchup's elements
    kw = dict(site="layer", method="stitchup", epochs=2, limit=48)
    a = train(smoke(tmp_path / "a", rt_dir, seed=3, **kw), progress=False)
    b = train(smoke(tmp_path / "b", rt_dir, seed=3, **kw), progress=False)
    c = train(smoke(tmp_path / "c", rt_dir, seed=4, **kw), progress=False)
    assert numbers(a) == numbers(b)
    assert numbers(a)["history"] != numbers(c)["history"]
