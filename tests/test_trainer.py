"A real Hugging Face Trainer run with `MixupTrainer`: a Rotten Tomatoes slice, the bundled MiniLM, offline."
import numpy as np
import pytest
import torch
from datasets import DatasetDict
from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding, PrinterCallback, TrainingArguments

from embeddings_mixup.batching import load_tokenizer
from embeddings_mixup.data import load_data
from embeddings_mixup.weights import resolve_model
from embeddings_mixup.model import load_classifier
from embeddings_mixup.trainer import MixupTrainer, trainer_dataset, trainer_metrics

N_TRAIN, N_EVAL, BATCH = 32, 16, 16   # a CPU-cheap slice: 2 training steps, 1 evaluation batch


@pytest.fixture(scope="module")
def rt(rt_dir):
    dd = load_data(str(rt_dir))
    small = DatasetDict({"train": dd["train"].shuffle(seed=0).select(range(N_TRAIN)),
                         "validation": dd["validation"].shuffle(seed=0).select(range(N_EVAL))})
    tok = load_tokenizer(None)
    return dd["train"].features["label"].names, tok, trainer_dataset(small, tok, max_len=32)


def make_trainer(tmp_path, model, tok, ds, cls=MixupTrainer, **kw):
    names = set(TrainingArguments.__dataclass_fields__)
    args = dict(num_train_epochs=1, per_device_train_batch_size=BATCH, per_device_eval_batch_size=BATCH,
                eval_strategy="epoch", logging_steps=1, save_strategy="no", report_to="none", use_cpu=True,
                disable_tqdm=True, log_level="error", seed=0)
    args.update({k: v for k, v in kw.items() if k in names})
    tr = cls(model=model, args=TrainingArguments(str(tmp_path), **args), train_dataset=ds["train"],
             eval_dataset=ds["validation"], data_collator=DataCollatorWithPadding(tok), compute_metrics=trainer_metrics,
             **{k: v for k, v in kw.items() if k not in names})
    tr.remove_callback(PrinterCallback)
    return tr


@torch.no_grad()
def plain_logits(model, tok, split):
    "The unmixed model's logits, in the split's order, batched as the Trainer batches evaluation."
    model.eval()
    pad = DataCollatorWithPadding(tok)
    out = []
    for i in range(0, len(split), BATCH):
        b = pad([split[j] for j in range(i, min(i + BATCH, len(split)))])
        b.pop("labels")
        out.append(model(**b).logits)
    return torch.cat(out).numpy()


@pytest.mark.parametrize("site,method", [("embed", "mixup"), ("pooler", "stitchup")])
def test_real_trainer_run_trains_evaluates_and_logs_lam(tmp_path, rt, site, method):
    labels, tok, ds = rt
    torch.manual_seed(0)
    tr = make_trainer(tmp_path, load_classifier(None, labels), tok, ds, site=site, method=method)
    tr.train()
    hist = tr.state.log_history
    train_logs = [h for h in hist if "loss" in h]
    assert len(train_logs) == 2                                     # 2 steps, each logged
    for h in train_logs:
        assert 0.05 < h["mix_lam"] < 0.15                          # normal(0.1, 0.015)
        assert 0 <= h["mix_weight"] <= 1 and np.isfinite(h["loss"])
    evals = [h for h in hist if "eval_loss" in h]
    assert len(evals) == 1
    assert {"eval_accuracy", "eval_f1", "eval_precision", "eval_recall"} <= set(evals[0])
    assert 0 <= evals[0]["eval_accuracy"] <= 1
    # no mixing at evaluation: the Trainer's predictions are the plain model's logits
    pred = tr.predict(ds["validation"])
    np.testing.assert_allclose(pred.predictions, plain_logits(tr.model, tok, ds["validation"]), atol=1e-4)
    assert pred.metrics["test_accuracy"] == pytest.approx(
        float((pred.predictions.argmax(-1) == np.array(ds["validation"]["labels"])).mean()))


def _one_step_delta(tmp_path, tok, ds, bs, ga):
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        resolve_model(None), num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    before = [p.detach().clone() for p in model.parameters()]
    sub = {"train": ds["train"].select(range(16)), "validation": ds["validation"]}
    tr = make_trainer(tmp_path, model, tok, sub, per_device_train_batch_size=bs, gradient_accumulation_steps=ga,
                      max_steps=1, optim="sgd", learning_rate=1.0, lr_scheduler_type="constant", max_grad_norm=0,
                      weight_decay=0.0, eval_strategy="no", site="none")
    tr.train()
    (log,) = [h for h in tr.state.log_history if "loss" in h]
    return torch.cat([(p.detach() - b).flatten() for p, b in zip(model.parameters(), before)]), log["loss"]


def test_gradient_accumulation_gives_the_whole_batch_gradient(tmp_path, rt):
    _, tok, ds = rt
    full, full_loss = _one_step_delta(tmp_path / "full", tok, ds, bs=16, ga=1)
    accumulated, accumulated_loss = _one_step_delta(tmp_path / "ga", tok, ds, bs=8, ga=2)
    assert full.abs().max() > 1e-4
    assert (accumulated - full).abs().max() <= 1e-4 * full.abs().max()
    assert accumulated_loss == pytest.approx(full_loss, rel=1e-4)   # the logged loss too, not twice it



DDP_SCRIPT = '''
import json, sys, torch
from datasets import Dataset
from transformers import BertConfig, BertForSequenceClassification, PrinterCallback, TrainingArguments
from embeddings_mixup.batching import Collator
from embeddings_mixup.trainer import MixupTrainer
torch.manual_seed(0)
cfg = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                 max_position_embeddings=32, num_labels=2)
model = BertForSequenceClassification(cfg)
g = torch.Generator().manual_seed(0)
lens = torch.randint(3, 12, (64,), generator=g).tolist()
ds = Dataset.from_dict({"input_ids": [torch.randint(5, 50, (n,), generator=g).tolist() for n in lens],
                        "labels": torch.randint(0, 2, (64,), generator=g).tolist()})
lams = []
class Spy(MixupTrainer):
    def compute_loss(self, model, inputs, **kw):
        before = self._lam_sum
        out = super().compute_loss(model, inputs, **kw)
        if model.training: lams.append(self._lam_sum - before)
        return out
args = TrainingArguments(sys.argv[1], per_device_train_batch_size=8, gradient_accumulation_steps=2, max_steps=2,
                         save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True, logging_steps=1)
tr = Spy(model=model, args=args, train_dataset=ds, site="embed", lam_per_example=True,
         data_collator=lambda f: Collator(0)([x["input_ids"] for x in f], [x["labels"] for x in f]))
tr.remove_callback(PrinterCallback)
tr.train()
w = torch.cat([p.detach().flatten() for p in tr.model.parameters()]).double()
logged = [h["mix_lam"] for h in tr.state.log_history if "loss" in h]
json.dump({"world": tr.args.world_size, "lams": lams, "mix_lam": logged,
           "weights": [float(w.sum()), float((w * w).sum())]},
          open(f"{sys.argv[1]}/rank{tr.args.process_index}.json", "w"))
torch.distributed.barrier(); torch.distributed.destroy_process_group()   # gloo aborts at exit otherwise
'''


def test_two_processes_draw_their_own_lam_and_log_the_mean(tmp_path):
    "torchrun, 2 CPU processes (gloo): each rank mixes with its own stream; the logged lam is the mean over ranks."
    import json, os, subprocess, sys
    (tmp_path / "ddp.py").write_text(DDP_SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                        str(tmp_path / "ddp.py"), str(tmp_path)], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    r0, r1 = (json.loads((tmp_path / f"rank{i}.json").read_text()) for i in (0, 1))
    assert r0["world"] == r1["world"] == 2
    assert len(r0["lams"]) == len(r1["lams"]) == 4 and r0["lams"] != r1["lams"]   # 2 steps x 2 micro-batches, per rank
    for step in range(2):
        both = r0["lams"][2 * step:2 * step + 2] + r1["lams"][2 * step:2 * step + 2]
        assert r0["mix_lam"][step] == pytest.approx(sum(both) / 4) == r1["mix_lam"][step]
    assert r0["weights"] == r1["weights"]                            # gradients were synchronized
