"""Family x site x method matrix on tiny random models built here (no network, no downloads).

Each supported cell checks finite loss and gradients, lam = 1 gives exactly the unmixed logits (eval mode), the
classifier's input moves to the partner by the expected amount, and `remove()` restores the plain model; each refused
cell checks the refusal names the family and the site. One saved model per family loads in `transformers.pipeline`.
The outcome is written to reports/families_matrix.json, from which `families_markdown` makes the README table."""
import json, pathlib
import pytest, torch
import transformers as tf
from transformers import AutoModelForSequenceClassification
from embeddings_mixup.mixup import soft_targets, soft_cross_entropy
from embeddings_mixup.model import Mixer
from embeddings_mixup.names import SITES, SITE_METHODS, METHODS

MATRIX = pathlib.Path(__file__).parent.parent / "reports" / "families_matrix.json"
V, PAD, CLS, SEP = 40, 0, 2, 3
TOK = dict(pad_token_id=PAD, bos_token_id=CLS, eos_token_id=SEP)
BERTLIKE = dict(vocab_size=V, hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=32,
                max_position_embeddings=48, num_labels=3, **TOK)

def _configs():
    return {
        "bert": lambda: tf.BertConfig(**BERTLIKE),
        "roberta": lambda: tf.RobertaConfig(**BERTLIKE),
        "xlm-roberta": lambda: tf.XLMRobertaConfig(**BERTLIKE),
        "electra": lambda: tf.ElectraConfig(**BERTLIKE, embedding_size=8),
        "deberta-v2": lambda: tf.DebertaV2Config(**BERTLIKE, relative_attention=True, pos_att_type=["p2c", "c2p"],
                                                 position_biased_input=False, share_att_key=True,
                                                 norm_rel_ebd="layer_norm", max_relative_positions=-1,
                                                 position_buckets=8, pooler_hidden_size=16),
        "deberta": lambda: tf.DebertaConfig(**BERTLIKE, relative_attention=True, pos_att_type=["p2c", "c2p"],
                                            position_biased_input=False, pooler_hidden_size=16),
        "mpnet": lambda: tf.MPNetConfig(**BERTLIKE),
        "distilbert": lambda: tf.DistilBertConfig(vocab_size=V, dim=16, n_layers=3, n_heads=2, hidden_dim=32,
                                                  max_position_embeddings=48, num_labels=3, pad_token_id=PAD),
        "albert": lambda: tf.AlbertConfig(**BERTLIKE, embedding_size=8),
        "modernbert": lambda: tf.ModernBertConfig(vocab_size=V, hidden_size=16, num_hidden_layers=3,
                                                  num_attention_heads=2, intermediate_size=32,
                                                  max_position_embeddings=48, num_labels=3,
                                                  global_attn_every_n_layers=2, local_attention=4,
                                                  reference_compile=False, cls_token_id=CLS, sep_token_id=SEP, **TOK),
        "gpt2": lambda: tf.GPT2Config(vocab_size=V, n_embd=16, n_layer=3, n_head=2, n_positions=48, num_labels=3,
                                      **TOK),
        "llama": lambda: tf.LlamaConfig(vocab_size=V, hidden_size=16, num_hidden_layers=3, num_attention_heads=2,
                                        num_key_value_heads=1, intermediate_size=32, max_position_embeddings=48,
                                        num_labels=3, **TOK),
    }
FAMILIES = list(_configs())
DECODERS = {"gpt2", "llama"}
CELLS = [(f, s, m) for f in FAMILIES for s in SITES[1:] for m in METHODS]
RESULTS = {}

def build(family, seed=0):
    torch.manual_seed(seed)
    return AutoModelForSequenceClassification.from_config(_configs()[family]()).eval()

def batch(padded=True):
    "4 examples; real tokens [CLS] w.. [SEP] (decoders read the last real token), padding 0 on the right."
    g = torch.Generator().manual_seed(1)
    lens = torch.tensor([6, 3, 5, 4]) if padded else torch.full((4,), 6)
    ids = torch.randint(4, V, (4, 6), generator=g)
    ids[:, 0] = CLS; ids[torch.arange(4), lens - 1] = SEP
    mask = (torch.arange(6) < lens[:, None]).long()
    return {"input_ids": ids * mask + PAD * (1 - mask), "attention_mask": mask}

def classifier_input(model, inputs, run):
    "The input of the final classifier layer (for decoders: at the last position), captured while `run()` runs."
    final = [mod for mod in model.modules() if isinstance(mod, torch.nn.Linear) and mod.out_features == 3][-1]
    seen = []
    h = final.register_forward_pre_hook(lambda mod, a: seen.append(a[0].detach()))
    try: run()
    finally: h.remove()
    x = seen[-1]
    return x[:, -1] if x.ndim == 3 else x

def no_hooks(model):
    "No hook of this package left (transformers installs its own inert output-capturing hooks on first use)."
    fns = [f for mod in model.modules() for f in (*mod._forward_hooks.values(), *mod._forward_pre_hooks.values())]
    return not any(getattr(f, "__module__", "").startswith("embeddings_mixup") for f in fns)

@pytest.mark.parametrize("family,site,method", CELLS, ids=[f"{f}-{s}-{m}" for f, s, m in CELLS])
def test_cell(family, site, method):
    model = build(family)
    perm = torch.tensor([3, 2, 1, 0])
    if method not in SITE_METHODS[site]:
        RESULTS[(family, site, method)] = "n/a"
        with pytest.raises(ValueError, match="not available at site"): Mixer(model, site, method)
        return
    try: mx = Mixer(model, site, method)
    except ValueError as e:
        RESULTS[(family, site, method)] = "refused"
        assert family in DECODERS, f"{family} should support {site}/{method}: {e}"
        assert f"site {site!r}" in str(e) and f"the {family} family" in str(e)
        return
    assert family not in DECODERS or (site != "pooler" and method != "attentionmix")
    if method == "ssmix": return check_ssmix(family, model, mx, perm)
    full, padded = batch(False), batch(True)
    plain = model(**full).logits
    # 1. a training step: finite loss and gradients
    model.train()
    logits, w = mx(padded, torch.full((4,), 0.4), perm, torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 1, 2, 1])
    loss = soft_cross_entropy(logits, soft_targets(labels, labels[perm], w, 3))
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert torch.isfinite(loss) and grads and all(torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    model.zero_grad(); model.eval()
    # 2. lam = 1: exactly the unmixed logits (masks agree: no padding)
    assert torch.equal(mx(full, torch.ones(4), perm)[0], plain)
    # 3. the classifier's input moves to the partner by the expected amount
    x_plain = classifier_input(model, full, lambda: model(**full))
    x0 = classifier_input(model, full, lambda: mx(full, torch.zeros(4), perm))
    torch.testing.assert_close(x0, x_plain[perm], rtol=1e-5, atol=1e-5)     # lam = 0: all the way to the partner
    if site == "pooler" and method == "mixup":                               # linear at the classifier: exact amount
        x7 = classifier_input(model, full, lambda: mx(full, torch.full((4,), 0.7), perm))
        torch.testing.assert_close(x7, 0.7 * x_plain + 0.3 * x_plain[perm], rtol=1e-5, atol=1e-5)
    # 4. remove() restores the plain model
    assert not no_hooks(model)
    mx.remove()
    assert no_hooks(model) and torch.equal(model(**full).logits, plain)
    RESULTS[(family, site, method)] = "ok"

def check_ssmix(family, model, mx, perm):
    "SSMix ignores lam (its span is 10% of a's content): finite loss and gradients, the clean pass is the plain model's."
    padded, labels = batch(True), torch.tensor([0, 1, 2, 1])
    plain = model(**padded).logits
    model.train()
    logits, w = mx(padded, torch.ones(4), perm, labels=labels)
    loss = (soft_cross_entropy(logits, soft_targets(labels, labels[perm], w, 3))
            + torch.nn.functional.cross_entropy(mx.clean_logits, labels)) / 2
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert torch.isfinite(loss) and grads and all(torch.isfinite(g).all() for g in grads)
    assert ((w >= 0) & (w < 1)).all()                    # every example gives up at least one content token
    model.zero_grad(); model.eval()
    mx(padded, torch.ones(4), perm, labels=labels)
    torch.testing.assert_close(mx.clean_logits, plain)   # the saliency pass is the unmixed model
    mx.remove()
    assert no_hooks(model) and torch.equal(model(**padded).logits, plain)
    RESULTS[(family, "embed", "ssmix")] = "ok"

def tiny_tokenizer(path):
    "A word-level fast tokenizer with [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 and a few words, built offline."
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + [f"w{i}" for i in range(V - 4)])}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
                                                      special_tokens=[("[CLS]", CLS), ("[SEP]", SEP)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", bos_token="[CLS]", eos_token="[SEP]")
    fast.save_pretrained(path)
    return fast

@pytest.mark.parametrize("family", FAMILIES)
def test_pipeline(family, tmp_path):
    "A model trained one mixed step (site embed) saves and loads in a plain transformers pipeline."
    from transformers import pipeline
    model = build(family).train()
    model.config.id2label, model.config.label2id = {0: "a", 1: "b", 2: "c"}, {"a": 0, "b": 1, "c": 2}
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with Mixer(model, "embed", "mixup") as mx:
        perm = torch.tensor([3, 2, 1, 0])
        logits, w = mx(batch(), torch.full((4,), 0.3), perm)
        labels = torch.tensor([0, 1, 2, 1])
        soft_cross_entropy(logits, soft_targets(labels, labels[perm], w, 3)).backward(); opt.step()
    model.save_pretrained(tmp_path); tiny_tokenizer(tmp_path)
    out = pipeline("text-classification", model=str(tmp_path), device="cpu")(["w1 w2 w3", "w4"])
    assert [o["label"] in {"a", "b", "c"} for o in out] == [True, True]
    RESULTS[(family, "pipeline", "-")] = "ok"

@pytest.fixture(scope="module", autouse=True)
def write_matrix():
    yield
    if len({k for k in RESULTS if k[1] != "pipeline"}) < len(CELLS): return   # a partial run (-k) leaves the file alone
    rows = [{"family": f, "site": s, "method": m, "outcome": RESULTS[(f, s, m)]} for f, s, m in CELLS]
    rows += [{"family": f, "site": "pipeline", "method": "-", "outcome": RESULTS.get((f, "pipeline", "-"), "fail")}
             for f in FAMILIES]
    MATRIX.parent.mkdir(exist_ok=True)
    lines = ",\n".join("  " + json.dumps(r) for r in rows)   # one cell a line: small diffs when an outcome changes
    MATRIX.write_text(f'{{"transformers": {json.dumps(tf.__version__)}, "cells": [\n{lines}\n]}}\n')

@pytest.mark.parametrize("family", ["roberta", "xlm-roberta", "mpnet"])
def test_embed_positions_follow_union(family):
    "Families that derive positions from input ids get them from the union mask at the embed site."
    model, seen = build(family), {}
    emb = model.base_model.embeddings
    h = emb.register_forward_pre_hook(lambda mod, a, kw: seen.update(kw), with_kwargs=True)
    b = batch()
    with Mixer(model, "embed", "mixup") as mx: mx(b, torch.full((4,), 0.5), torch.tensor([3, 2, 1, 0]))
    h.remove()
    pad = emb.padding_idx
    test_row = seen["position_ids"][1].tolist()           # example 1 has 3 real tokens, its partner (2) has 5
    assert test_row == [pad + 1, pad + 2, pad + 3, pad + 4, pad + 5, pad]

@pytest.mark.parametrize("family", [f for f in FAMILIES if f not in DECODERS])
def test_probe_runs_blocks_up_to_its_layer(family):
    """AttentionMix's probe runs blocks 1..j only (after a first probe over every block, which lets transformers hook
    them all), reads layer j's attention as a full eager forward does (bit for bit), and leaves the model whole."""
    from embeddings_mixup.model import _Step
    from embeddings_mixup.parts import find_parts
    model, ref, b = build(family), build(family), batch(True)              # same seed: same weights
    ref.set_attn_implementation("eager")
    with torch.no_grad(): full = ref(**b, output_attentions=True).attentions
    parts, modules, impl = find_parts(model), list(model.modules()), model.config._attn_implementation
    calls = []
    hooks = [blk.register_forward_hook(lambda *a: calls.append(1)) for blk in parts.blocks]
    with Mixer(model, "layer", "attentionmix", layers=(1,)) as mx:
        for j in range(1, parts.num_layers + 1):
            calls.clear()
            mx.step = _Step(torch.ones(4), torch.tensor([3, 2, 1, 0]), mask=b["attention_mask"])
            got = mx._probe_attention(b, j)
            mx.step = None
            p = full[j - 1][:, :, 0, :].float().mean(1) * (b["attention_mask"] != 0)
            assert torch.equal(got, p / p.sum(-1, keepdim=True).clamp_min(torch.finfo(p.dtype).tiny)), j
            shared = len(parts.blocks) != parts.num_layers             # ALBERT: one group called L times
            first = j == 1                                             # the first probe runs every block
            assert len(calls) == (parts.num_layers if shared or first else j), (j, len(calls))
    with Mixer(model, "embed", "attentionmix") as mx:                  # a new mixer on a probed model cuts at once
        calls.clear()
        mx.step = _Step(torch.ones(4), torch.tensor([3, 2, 1, 0]), mask=b["attention_mask"])
        mx._probe_attention(b, 1)
        mx.step = None
        assert len(calls) == (parts.num_layers if len(parts.blocks) != parts.num_layers else 1)
    for h in hooks: h.remove()
    assert list(model.modules()) == modules and model.config._attn_implementation == impl

def test_albert_with_inner_groups():
    """ALBERT with inner_group_num = 2: one block call runs two layers, so `output_attentions` gives two attentions per
    call. Every site still mixes (lam = 1 gives the plain logits), and AttentionMix reads the first layer of call j."""
    from embeddings_mixup.model import _Step
    from embeddings_mixup.names import SITE_METHODS
    cfg = lambda: tf.AlbertConfig(**BERTLIKE, embedding_size=8, inner_group_num=2)
    torch.manual_seed(0); model = AutoModelForSequenceClassification.from_config(cfg()).eval()
    torch.manual_seed(0); ref = AutoModelForSequenceClassification.from_config(cfg()).eval()
    ref.set_attn_implementation("eager")
    full, perm = batch(False), torch.tensor([3, 2, 1, 0])
    with torch.no_grad(): att = ref(**full, output_attentions=True).attentions
    assert len(att) == 2 * 3
    plain = model(**full).logits
    for site in SITES[1:]:
        for method in SITE_METHODS[site]:
            if method == "ssmix": continue
            with Mixer(model, site, method, layers=(1, 2, 3)) as mx:
                assert torch.equal(mx(full, torch.ones(4), perm)[0], plain), (site, method)
    with Mixer(model, "layer", "attentionmix", layers=(1,)) as mx:
        for j in (1, 2, 3):
            mx.step = _Step(torch.ones(4), perm, mask=full["attention_mask"])
            got = mx._probe_attention(full, j)
            mx.step = None
            p = att[(j - 1) * 2][:, :, 0, :].float().mean(1)
            assert torch.equal(got, p / p.sum(-1, keepdim=True).clamp_min(torch.finfo(p.dtype).tiny)), j

# the families whose embeddings module feeds a projection before the first block (ALBERT, ELECTRA with a smaller
# embedding size): SSMix's saliency point is the embeddings module's output, as clovaai/ssmix's BertEmbeddings output
PROJECTED = {"albert", "electra"}

@pytest.mark.parametrize("family", FAMILIES)
def test_ssmix_saliency_is_taken_where_the_first_block_is_fed(family):
    """By role, for every family: the module SSMix differentiates at (`ModelParts.saliency_at`) is the one whose output
    enters the first block (BERT-like: the embeddings module, word + position + segment, LayerNorm, dropout; GPT-2: the
    dropout after word + position; Llama: the token embeddings), not the word-embedding table."""
    from embeddings_mixup.parts import find_parts
    model, b = build(family), batch(True)
    parts = find_parts(model)
    got, fed = [], []
    h1 = parts.saliency_at.register_forward_hook(lambda m, a, o: got.append(o[0] if isinstance(o, tuple) else o))
    h2 = parts.blocks[0].register_forward_pre_hook(
        lambda m, a, kw: fed.append(a[0] if a else kw.get("hidden_states", next(iter(kw.values())))), with_kwargs=True)
    try:
        with torch.no_grad(): model(**b)
    finally: h1.remove(); h2.remove()
    assert got and fed
    if family in PROJECTED: assert got[0].shape[-1] == 8 and fed[0].shape[-1] == 16   # embedding_size -> hidden
    else: assert torch.equal(got[0], fed[0])
    if family != "llama": assert parts.saliency_at is not parts.word_embeddings
