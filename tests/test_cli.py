"""The command line: `embeddings-mixup` / `python -m embeddings_mixup` builds the same TrainConfig as the notebook,
refuses bad values before any work (fp16 on a CPU, an unreachable Hub), and a finished run's model has its card."""
import configparser, importlib, json, os, shlex, subprocess, sys, time
from dataclasses import asdict

import pytest
import yaml

from conftest import ROOT, SMOKE
from embeddings_mixup.cli import main, parse_train_args, train_parser
from embeddings_mixup.config import TrainConfig


def _flags(**kw):
    "Command-line flags for keyword parameters."
    show = lambda v: str(v).lower() if isinstance(v, bool) else str(v)
    return [a for k, v in kw.items() for a in (f"--{k.replace('_', '-')}", show(v))]


def pym(*args, env=None, timeout=300):
    "Run `python -m embeddings_mixup ARGS` in the repository root."
    return subprocess.run([sys.executable, "-m", "embeddings_mixup", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def test_console_script_declared():
    ini = configparser.ConfigParser(); ini.read(ROOT / "settings.ini")
    name, target = ini["DEFAULT"]["console_scripts"].split("=")
    mod, fn = target.split(":")
    assert name == "embeddings-mixup" and getattr(importlib.import_module(mod), fn) is main


def test_every_parameter_is_a_flag():
    opts = {o for a in train_parser()._actions for o in a.option_strings}
    missing = [n for n in TrainConfig.names() if f"--{n.replace('_', '-')}" not in opts]
    assert not missing, f"TrainConfig fields without a flag: {missing}"


def test_python_m_reads_config_file_and_flags_override():
    r = pym("train", "--config", "configs/seed_study.yaml", "--site", "embed", "--epochs", "2", "--print-config")
    assert r.returncode == 0, r.stderr
    got = yaml.safe_load(r.stdout)
    assert got == asdict(TrainConfig(model="bert-base-cased", epochs=2, batch_size=256, max_len=70, site="embed"))


@pytest.mark.parametrize("args, message", [
    (["--site", "embedding"], "valid sites: none, embed, layer, encoder, pooler"),
    (["--epochs", "0"], "epochs=0 must be a positive integer"),
    (["--grad-accum-steps", "0"], "grad_accum_steps=0 must be a positive integer"),
    (["--bucket", "maybe"], "bucket='maybe' must be true or false"),
])
def test_bad_values_stop_with_the_config_message(args, message):
    r = pym("train", *args)
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_lists_bools_and_none():
    argv = ["--site", "layer", "--mix-layers", "7", "9", "12", "--lam-max", "true", "--limit", "none"]
    cfg, _ = parse_train_args(argv)
    assert (cfg.mix_layers, cfg.lam_max, cfg.limit) == ([7, 9, 12], True, None)


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="fp16 is allowed on a GPU")
def test_fp16_on_cpu_is_refused(tmp_path, capsys):
    assert main(["train", "--mixed-precision", "fp16", "--out-dir", str(tmp_path / "r")]) == 2
    assert "mixed_precision='fp16' needs a CUDA GPU" in capsys.readouterr().err
    assert not (tmp_path / "r" / "metrics.json").exists()


def test_hub_upload_fails_fast_here(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t = time.time()
    assert main(["train", "--hub-model-id", "me/rt-embed", "--out-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert time.time() - t < 30 and "hub_model_id='me/rt-embed' cannot be uploaded" in err and "HF_HUB_OFFLINE=1" in err
    assert not (tmp_path / "r" / "metrics.json").exists()   # stopped before any work
    monkeypatch.setenv("HF_HUB_OFFLINE", "0"); monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    t = time.time()
    assert main(["train", "--hub-model-id", "me/rt-embed", "--out-dir", str(tmp_path / "r")]) == 2
    assert time.time() - t < 30 and "no connection to http://127.0.0.1:9 within 3 s" in capsys.readouterr().err


def test_sweep_is_forwarded():
    r = pym("sweep", "grids/smoke.yaml", "--dry-run", "--only", "no-such-run")
    assert r.returncode == 0, r.stderr
    r = pym("sweep", "grids/no_such_grid.yaml")
    assert r.returncode == 2 and "no_such_grid.yaml" in r.stderr


def test_train_command_saves_model_with_card(rt_dir, tmp_path, capsys):
    out = tmp_path / "run"
    params = dict(SMOKE, save_model=True, data=str(rt_dir), site="embed", out_dir=str(out))
    assert main(["train", *_flags(**params)]) == 0
    printed = capsys.readouterr()
    assert "complete: validation accuracy" in printed.out
    assert f"training on {SMOKE['limit']} of 8,530 train examples (limit={SMOKE['limit']})" in printed.out
    assert "epoch 1/" in printed.out and not printed.err   # the progress bar on stdout, nothing on stderr
    assert (out / "curves.png").stat().st_size > 0        # the same artifacts as nbs/train.ipynb writes
    rec = json.loads((out / "metrics.json").read_text())
    assert rec["status"] == "complete" and rec["num_processes"] == 1
    assert rec["effective_batch_size"] == SMOKE["batch_size"]
    assert rec["evaluated"] == {"validation": SMOKE["eval_limit"], "test": SMOKE["eval_limit"]}
    card = (out / "model" / "README.md").read_text()
    front = yaml.safe_load(card.split("---")[1])
    assert front["library_name"] == "transformers" and front["pipeline_tag"] == "text-classification"
    assert front["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert front["datasets"] == ["cornell-movie-review-data/rotten_tomatoes"]
    assert {"site-embed", "method-mixup"} <= set(front["tags"])
    assert f"| validation | {SMOKE['eval_limit']} | {rec['validation']['accuracy']:.4f} |" in card
    assert f"| test | {SMOKE['eval_limit']} | {rec['test']['accuracy']:.4f} |" in card
    assert "λ ~ Normal(0.1, 0.015)" in card
    cmd = card.split("## Reproduce")[1].split("```bash\n")[1].split("\n")[0]
    assert cmd.startswith("embeddings-mixup train ")
    assert asdict(parse_train_args(shlex.split(cmd)[2:])[0]) == rec["params"]   # the command re-makes this run


def _documented_lines() -> list[str]:
    "Lines of the README and of the command line's notebook (nbs/07_cli.ipynb), where the commands are documented."
    nb = json.loads((ROOT / "nbs" / "07_cli.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    return (ROOT / "README.md").read_text().splitlines() + "\n".join(cells).splitlines()


def _readme_train_commands() -> list[list[str]]:
    "The arguments after `train` of every documented `embeddings-mixup train` line (README and nbs/07_cli.ipynb)."
    cmds = [shlex.split(l.split("#")[0])[2:] for l in _documented_lines() if l.startswith("embeddings-mixup train ")]
    assert len(cmds) >= 4, cmds   # the command-line docs: README and 07_cli
    return cmds


@pytest.mark.parametrize("argv", _readme_train_commands(), ids=" ".join)
def test_readme_train_commands_are_valid(argv, monkeypatch):
    "Each README command parses, validates, and its layers exist in the model it names (the bundled one by default)."
    from transformers import AutoConfig
    from embeddings_mixup.weights import resolve_model
    monkeypatch.chdir(ROOT)   # --config paths are relative to the repository
    cfg, _ = parse_train_args(argv)
    where = resolve_model(cfg.model)
    if cfg.mix_layers and os.path.isdir(where):
        depth = AutoConfig.from_pretrained(where).num_hidden_layers
        assert all(1 <= k <= depth for k in cfg.mix_layers), f"--mix-layers {cfg.mix_layers}: the model has {depth}"
