"""The measurements quoted in tests/reference/FINDINGS.md (issue 26). Not a test; CPU, about a minute.

    EMBEDDINGS_MIXUP_DATA=../shared/data HF_HUB_OFFLINE=1 python tests/reference/measure_issue26.py

1. [UNK]/[MASK] in the three datasets' splits, tokenized as the grids do (bundled MiniLM uncased tokenizer,
   max_len 64 for Rotten Tomatoes and SST-2, 128 for MRPC), and the words that become [UNK].
2. SSMix on 64 Rotten Tomatoes training sentences, bundled MiniLM with a fresh head (seed 1), batches of 32, flip
   pairing: how often the chosen spans change when the saliency is taken at the output of the embeddings module
   (reference) instead of at the word embeddings (project), against how often two dropout masks change them.
3. `Mixer` as `MixupTrainer` builds it (special ids from the config) against `train.setup`'s (tokenizer ids).
4. Pooler MixUp with the head's dropout after the mix (the project) against none (the study), same sentences.
"""
import collections
import json
import os
from pathlib import Path

import torch

from embeddings_mixup.batching import load_tokenizer, tokenize
from embeddings_mixup.data import load_data
from embeddings_mixup.model import Mixer, default_special_ids, load_classifier
from embeddings_mixup.ssmix import span_length, ssmix_plan, token_saliency

DATA = Path(os.environ.get("EMBEDDINGS_MIXUP_DATA", "../shared/data"))
SETS = {"rotten_tomatoes": ("rotten_tomatoes", 64), "sst2": (DATA / "sst2", 64), "mrpc": (DATA / "mrpc", 128)}


def unk_counts(tok):
    "Per dataset and split: examples, examples with an [UNK] (inside a segment: not its first or last token), tokens."
    structural = {tok.cls_token_id, tok.sep_token_id, tok.pad_token_id}
    out, words = {}, collections.Counter()
    for name, (src, max_len) in SETS.items():
        dd = load_data(src)
        enc = tokenize(dd, tok, max_len)
        for split, cols in enc.items():
            rows = cols["input_ids"]
            has = [r for r in rows if tok.unk_token_id in r]
            inside = 0
            for r in has:   # a split needs content on both sides of the [UNK] within its segment
                seg, segs = [], []
                for t in r:
                    if t in structural:
                        if seg: segs.append(seg)
                        seg = []
                    else: seg.append(t)
                inside += any(tok.unk_token_id in s[1:-1] for s in segs)
            n_content = sum(sum(t not in structural for t in r) for r in rows)
            out[f"{name}/{split}"] = dict(
                examples=len(rows), with_unk=len(has), unk_inside_segment=inside,
                unk_tokens=sum(r.count(tok.unk_token_id) for r in rows), content_tokens=n_content,
                with_mask=sum(tok.mask_token_id in r for r in rows))
            if split == "train":
                words.update(unk_words(tok, dd["train"], max_len))
                out[f"{name}/train"]["short_partner_random_pairs"] = short_partner(rows, structural)
    return out, words.most_common(15)


def short_partner(rows, structural, seed=0):
    """Share of (example, segment) with a random partner whose same segment has fewer content tokens than the span:
    where the reference copies b's [CLS] and the project leaves the segment (the declared difference). Random pairs
    over the whole split: the grids' length-bucketed batches pair similar lengths, so fewer there."""
    segs = []
    for r in rows:
        cur, out = 0, []
        for t in r[1:]:
            if t in structural:
                out.append(cur); cur = 0
            else: cur += 1
        segs.append(out)
    perm = torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed)).tolist()
    short = total = 0
    for i, j in enumerate(perm):
        for na, nb in zip(segs[i], segs[j]):
            total += 1
            short += nb < span_length(na, 0.1)
    return round(short / total, 5)


def unk_words(tok, ds, max_len):
    "The pieces of text tokenized to [UNK] (fast tokenizer offsets)."
    pair = "text_pair" in ds.column_names
    for i in range(len(ds)):
        texts = (ds[i]["text"], ds[i]["text_pair"]) if pair else (ds[i]["text"],)
        enc = tok(*texts, truncation=True, max_length=max_len, return_offsets_mapping=True)
        if tok.unk_token_id not in enc["input_ids"]: continue
        seq = enc.sequence_ids()
        for t, (a, b), s in zip(enc["input_ids"], enc["offset_mapping"], seq):
            if t == tok.unk_token_id: yield texts[s][a:b]


def rank_corr(x, y):
    "Spearman correlation of two 1-d tensors (no ties expected)."
    rx, ry = x.argsort().argsort().float(), y.argsort().argsort().float()
    return torch.corrcoef(torch.stack([rx, ry]))[0, 1].item()


def span_changes(tok, n=64, batch=32):
    "SSMix plans with saliency at the word embeddings vs at the embeddings module output (and dropout noise)."
    tr = load_data("rotten_tomatoes")["train"]
    idx = torch.randperm(len(tr), generator=torch.Generator().manual_seed(0))[:n].tolist()
    texts, labels = [tr[i]["text"] for i in idx], torch.tensor([tr[i]["label"] for i in idx])
    torch.manual_seed(1)
    model = load_classifier(None, ["neg", "pos"])
    fwd = lambda **kw: model(**kw).logits
    structural = torch.tensor([tok.cls_token_id, tok.sep_token_id, tok.pad_token_id])
    res = collections.Counter()
    corr = []
    for s in range(0, n, batch):
        enc = dict(tok(texts[s:s + batch], padding=True, truncation=True, max_length=64, return_tensors="pt"))
        y = labels[s:s + batch]
        content = (enc["attention_mask"] == 1) & ~torch.isin(enc["input_ids"], structural)
        perm = torch.arange(len(y) - 1, -1, -1)
        plan = lambda sal: ssmix_plan(sal, sal[perm], content, content[perm], 0.1)

        def sal_at(module, train, seed=0):
            model.train(train)
            torch.manual_seed(seed)
            return token_saliency(fwd, module, enc, y, keep_graph=False)[0]
        words, emb = model.get_input_embeddings(), model.bert.embeddings
        w0, e0 = plan(sal_at(words, False)), plan(sal_at(emb, False))
        w1, w2, e1 = plan(sal_at(words, True, 1)), plan(sal_at(words, True, 2)), plan(sal_at(emb, True, 1))
        diff = lambda p, q: (p.source != q.source).any(1)
        sw, se = sal_at(words, False), sal_at(emb, False)
        corr += [rank_corr(sw[i][content[i]], se[i][content[i]]) for i in range(len(y))]
        res["examples"] += len(y)
        res["eval: words vs module"] += int(diff(w0, e0).sum())
        res["eval: a's span moved"] += int(((w0.source >= 0) != (e0.source >= 0)).any(1).sum())
        res["train, same dropout mask: words vs module"] += int(diff(w1, e1).sum())
        res["train, words, two dropout masks"] += int(diff(w1, w2).sum())
        res["eval vs train (words, one mask)"] += int(diff(w0, w1).sum())
        res["weights differ"] += int((w0.weight != e0.weight).sum())
    res["median Spearman(words, module) over content tokens"] = round(float(torch.tensor(corr).median()), 3)
    res["min Spearman"] = round(min(corr), 3)
    return dict(res), texts, labels, model


def trainer_mixer(tok, texts, labels, model, batch=32):
    "Mixer with the config's special ids (MixupTrainer today) vs the tokenizer's (train.setup)."
    res = collections.Counter()
    structural = torch.tensor([tok.cls_token_id, tok.sep_token_id, tok.pad_token_id])
    model.eval()
    for s in range(0, len(texts), batch):
        enc = dict(tok(texts[s:s + batch], padding=True, truncation=True, max_length=64, return_tensors="pt"))
        y = labels[s:s + batch]
        perm = torch.arange(len(y) - 1, -1, -1)
        ids = enc["input_ids"]
        st = torch.isin(ids, structural) | (enc["attention_mask"] == 0)
        for name, sp in (("config ids (MixupTrainer)", None), ("tokenizer ids (train.setup)", tok.all_special_ids)):
            seen = []
            h = model.get_input_embeddings().register_forward_hook(lambda m, a, o: seen.append(a[0]))
            try: _, w = Mixer(model, "embed", "ssmix", special_ids=sp)(enc, torch.full((len(y),), .5), perm, labels=y)
            finally: h.remove()
            mixed = seen[-1]
            moved = (mixed != ids) & st | torch.isin(mixed, structural[:2]) & ~st
            res[f"{name}: rows with [CLS]/[SEP] moved"] += int(moved.any(1).sum())
            res[f"{name}: weight sum"] += float(w.sum())
        res["examples"] += len(y)
        res["config special ids"] = str(default_special_ids(model.config))
    for k in [k for k in res if k.endswith("weight sum")]:
        res[k.replace("weight sum", "mean weight")] = round(res.pop(k) / res["examples"], 4)
    return dict(res)


def pooler_dropout(tok, texts, labels, model, batch=32, reps=5):
    """Pooler MixUp as the Mixer does it (pooler -> mix -> dropout -> classifier) against the study's
    (classifier on the mixed pooler output): mixed-batch loss with the same encoder dropout masks."""
    from embeddings_mixup.mixup import sample_lam, soft_cross_entropy, soft_targets
    model.train()
    mixer = Mixer(model, "pooler", "mixup")
    skip = {"on": False}
    h = model.dropout.register_forward_hook(lambda m, a, o: a[0] if skip["on"] else None)
    rel = []
    try:
        for s in range(0, len(texts), batch):
            enc = dict(tok(texts[s:s + batch], padding=True, truncation=True, max_length=64, return_tensors="pt"))
            y = labels[s:s + batch]
            perm = torch.arange(len(y) - 1, -1, -1)
            for r in range(reps):
                lam = sample_lam(len(y), generator=torch.Generator().manual_seed(r))
                losses = []
                for on in (False, True):
                    skip["on"] = on
                    torch.manual_seed(100 + r)   # the same encoder dropout masks in both
                    with torch.no_grad():
                        logits, w = mixer(enc, lam, perm)
                    losses.append(soft_cross_entropy(logits, soft_targets(y, y[perm], w, 2)).item())
                rel.append(abs(losses[0] - losses[1]) / losses[1])
    finally:
        h.remove(); mixer.remove()
    return {"head dropout p": model.dropout.p, "batches": len(rel),
            "median relative change of the mixed loss": round(float(torch.tensor(rel).median()), 4),
            "max": round(max(rel), 4)}


if __name__ == "__main__":
    torch.set_num_threads(1)
    tok = load_tokenizer(None)
    counts, words = unk_counts(tok)
    spans, texts, labels, model = span_changes(tok)
    print(json.dumps({"unk": counts, "unk_words_train": words, "spans": spans,
                      "trainer_mixer": trainer_mixer(tok, texts, labels, model),
                      "pooler_dropout": pooler_dropout(tok, texts, labels, model)}, indent=1, ensure_ascii=False))
