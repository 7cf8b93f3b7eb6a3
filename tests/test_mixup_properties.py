"""Property tests (hypothesis) for `embeddings_mixup.mixup`: the invariants of the notebook's inline tests,
checked over random small shapes, coefficients, masks and attentions."""
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st
from torch import nn

from embeddings_mixup.mixup import *
from embeddings_mixup.names import LAM_DISTS, METHODS, PAIRINGS, SSMIX
from embeddings_mixup.mixup import attentionmix_token_weights
from embeddings_mixup.ssmix import content_segments, span_length, ssmix_plan, ssmix_replace

SETTINGS = settings(max_examples=50, deadline=None)
seeds = st.integers(0, 2**31 - 1)
unit = st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0, 1, allow_nan=False))
open_unit = st.floats(1e-3, 1 - 1e-3)
TENSOR_METHODS = [m for m in METHODS if m != SSMIX]   # ssmix needs the model: embeddings_mixup.ssmix


@st.composite
def pair_case(draw, token=True):
    "Random (a, b, lam, mask_a, mask_b, attn_a, attn_b) with a > 0 > b so the origin of each element is visible."
    B, T, D = draw(st.integers(1, 6)), draw(st.integers(1, 8)), draw(st.integers(1, 5))
    g = torch.Generator().manual_seed(draw(seeds))
    shape = (B, T, D) if token else (B, D)
    a = torch.rand(shape, generator=g) + 0.5
    b = -torch.rand(shape, generator=g) - 0.5
    lam = torch.tensor(draw(st.lists(unit, min_size=B, max_size=B)), dtype=torch.float32)
    bits = lambda: torch.tensor(draw(st.lists(st.lists(st.integers(0, 1), min_size=T, max_size=T), min_size=B, max_size=B)))
    mask_a, mask_b = bits(), bits()
    # attentions with some exact zeros (exercise the uniform and zero-denominator fallbacks)
    attn_a = torch.rand(B, T, generator=g) * (torch.rand(B, T, generator=g) > 0.3)
    attn_b = torch.rand(B, T, generator=g) * (torch.rand(B, T, generator=g) > 0.3)
    return a, b, lam, mask_a, mask_b, attn_a, attn_b


# --- sampling ---------------------------------------------------------------------------------------------

@SETTINGS
@given(B=st.integers(1, 6), dist=st.sampled_from(LAM_DISTS), mean=st.floats(0, 1), std=st.floats(0, 2),
       alpha=st.floats(-1, 20), use_max=st.booleans(), per_example=st.booleans(), seed=seeds)
def test_sample_lam(B, dist, mean, std, alpha, use_max, per_example, seed):
    s = lambda sd: sample_lam(B, dist, mean=mean, std=std, alpha=alpha, use_max=use_max, per_example=per_example,
                              generator=torch.Generator().manual_seed(sd))
    lam = s(seed)
    assert lam.shape == (B,) and lam.dtype == torch.float32
    assert ((lam >= 0) & (lam <= 1)).all()
    if use_max: assert (lam >= 0.5).all()
    if not per_example: assert (lam == lam[0]).all()
    if dist == "beta" and alpha <= 0: assert (lam == 1).all()
    assert torch.equal(lam, s(seed))                            # same seed, same samples


@SETTINGS
@given(dist=st.sampled_from(LAM_DISTS), seed=seeds)
def test_sample_lam_seeds_differ(dist, seed):
    s = lambda sd: sample_lam(6, dist, std=0.2, alpha=1.0, per_example=True, generator=torch.Generator().manual_seed(sd))
    assert not torch.equal(s(seed), s(seed + 1))


@SETTINGS
@given(B=st.integers(1, 6), pairing=st.sampled_from(PAIRINGS), seed=seeds)
def test_sample_pairs(B, pairing, seed):
    p = sample_pairs(B, pairing, generator=torch.Generator().manual_seed(seed))
    assert p.shape == (B,) and p.dtype == torch.int64
    assert torch.equal(p.sort().values, torch.arange(B))         # a permutation
    assert torch.equal(p, sample_pairs(B, pairing, generator=torch.Generator().manual_seed(seed)))
    if pairing == "flip":
        assert torch.equal(p[p], torch.arange(B))                # symmetric pairing
        x = torch.randn(B, 2)
        assert torch.equal(x[p], x.flip(0))


def test_bad_sampling_arguments():
    with pytest.raises(ValueError, match="normal, beta"): sample_lam(3, "gauss")
    with pytest.raises(ValueError, match="batch_size"): sample_lam(0)
    with pytest.raises(ValueError, match="std"): sample_lam(3, std=-1.0)
    with pytest.raises(ValueError, match="mean"): sample_lam(3, mean=-0.1)
    with pytest.raises(ValueError, match="alpha"): sample_lam(3, "beta", alpha=math.nan)
    with pytest.raises(ValueError, match="flip, permute"): sample_pairs(3, "random")


# --- methods ---------------------------------------------------------------------------------------------

@SETTINGS
@given(case=st.one_of(pair_case(token=True), pair_case(token=False)), dtype=st.sampled_from([torch.float32, torch.float64]))
def test_mixup(case, dtype):
    a, b, lam = case[0].to(dtype), case[1].to(dtype), case[2]
    r = mixup(a, b, lam)
    assert isinstance(r, MixResult)
    assert r.mixed.shape == a.shape and r.mixed.dtype == dtype
    assert torch.equal(r.weight, lam) and r.weight.dtype == torch.float32
    l = lam.to(dtype).view(-1, *([1] * (a.ndim - 1)))
    torch.testing.assert_close(r.mixed, l * a + (1 - l) * b)
    assert torch.equal(r.mixed[lam == 1], a[lam == 1]) and torch.equal(r.mixed[lam == 0], b[lam == 0])
    lo, hi = torch.minimum(a, b), torch.maximum(a, b)
    assert ((r.mixed >= lo - 1e-6) & (r.mixed <= hi + 1e-6)).all()   # convex combination


@SETTINGS
@given(case=st.one_of(pair_case(token=True), pair_case(token=False)), use_mask=st.booleans(), seed=seeds)
def test_stitchup(case, use_mask, seed):
    a, b, lam, mask_a = case[:4]
    mask = mask_a if (use_mask and a.ndim == 3) else None
    r = stitchup(a, b, lam, generator=torch.Generator().manual_seed(seed), mask=mask)
    assert r.mixed.shape == a.shape and r.mixed.dtype == a.dtype and r.weight.dtype == torch.float32
    assert ((r.mixed == a) | (r.mixed == b)).all()                # each element from one of the two
    assert torch.equal(r.mixed[lam == 1], a[lam == 1]) and torch.equal(r.mixed[lam == 0], b[lam == 0])
    from_a = (r.mixed > 0).float()
    if mask is None:
        expect = from_a.reshape(len(a), -1).mean(1)
    else:
        m = mask.float()[..., None].expand_as(from_a)
        n = m.reshape(len(a), -1).sum(1)
        expect = torch.where(n > 0, (from_a * m).reshape(len(a), -1).sum(1) / n.clamp_min(1), lam)
    torch.testing.assert_close(r.weight, expect)                  # weight = realized fraction
    assert ((r.weight >= 0) & (r.weight <= 1)).all()
    again = stitchup(a, b, lam, generator=torch.Generator().manual_seed(seed), mask=mask)
    assert torch.equal(again.mixed, r.mixed) and torch.equal(again.weight, r.weight)


@SETTINGS
@given(case=pair_case())
def test_attentionmix(case):
    a, b, lam, ma, mb, aa, ab = case
    r = attentionmix(a, b, lam, aa, ab, ma, mb)
    assert r.mixed.shape == a.shape and r.mixed.dtype == a.dtype and r.weight.shape == lam.shape
    w, weight, pa, pb = attentionmix_token_weights(lam, aa, ab, ma, mb)
    assert ((w >= 0) & (w <= 1)).all() and ((r.weight >= 0) & (r.weight <= 1)).all()
    assert torch.equal(r.weight, weight)
    torch.testing.assert_close(r.mixed, w[..., None] * a + (1 - w[..., None]) * b)
    # p_a, p_b: distributions over real tokens (zeros when an example has no real tokens)
    has_a, has_b = ma.sum(1) > 0, mb.sum(1) > 0
    torch.testing.assert_close(pa.sum(1), has_a.float()); torch.testing.assert_close(pb.sum(1), has_b.float())
    assert (pa[ma == 0] == 0).all() and (pb[mb == 0] == 0).all()
    # exact at the ends
    assert torch.equal(r.mixed[lam == 1], a[lam == 1]) and torch.equal(r.mixed[lam == 0], b[lam == 0])
    assert (r.weight[lam == 1] == 1).all() and (r.weight[lam == 0] == 0).all()
    # never take content from one side's padding where the other side is real
    L = lam[:, None].expand_as(ma)
    only_a, only_b = (ma == 1) & (mb == 0), (ma == 0) & (mb == 1)
    sel = only_a & (L > 0)
    assert torch.equal(r.mixed[sel], a[sel]) and (w[sel] == 1).all()
    sel = only_b & (L < 1)
    assert torch.equal(r.mixed[sel], b[sel]) and (w[sel] == 0).all()
    # label weight formula
    ka, kb = (pa * w).sum(1), (pb * (1 - w)).sum(1)
    ok = (ka + kb) > 0
    torch.testing.assert_close(r.weight[ok], (ka / (ka + kb))[ok])
    torch.testing.assert_close(r.weight[~ok], lam[~ok])


@SETTINGS
@given(case=pair_case())
def test_attentionmix_uniform_is_mixup(case):
    a, b, lam, ma = case[:4]
    u = ma.float() / ma.sum(1, keepdim=True).clamp_min(1)
    r = attentionmix(a, b, lam, u, u, ma, ma)
    torch.testing.assert_close(r.weight, lam)
    torch.testing.assert_close(r.mixed, mixup(a, b, lam).mixed)
    w = attentionmix_token_weights(lam, u, u, ma, ma)[0]
    torch.testing.assert_close(w, lam[:, None].expand_as(w))


@SETTINGS
@given(case=pair_case())
def test_attentionmix_half_is_half(case):
    """At lam=0.5 the kept attention masses are equal when both examples have real tokens, so the label weight is 0.5
    whatever the attentions; if only one example has real tokens, all label weight goes to it."""
    a, b, _, ma, mb, aa, ab = case
    half = torch.full((len(a),), 0.5)
    r = attentionmix(a, b, half, aa, ab, ma, mb)
    has_a, has_b = ma.sum(1) > 0, mb.sum(1) > 0
    expect = torch.where(has_a & has_b, half, torch.where(has_a, 1.0, torch.where(has_b, 0.0, half)))
    torch.testing.assert_close(r.weight, expect)


@SETTINGS
@given(case=pair_case(), seed=seeds)
def test_stitchup_two_masks(case, seed):
    "With a mask per partner, the weight is a's share of the real content: k_a / (k_a + k_b) (issue 15)."
    a, b, lam, ma, mb = case[:5]
    r = stitchup(a, b, lam, generator=torch.Generator().manual_seed(seed), mask=ma, mask_b=mb)
    from_a = r.mixed > 0
    ea, eb = ma.bool()[..., None].expand_as(from_a), mb.bool()[..., None].expand_as(from_a)
    ka, kb = (from_a & ea).flatten(1).sum(1).float(), (~from_a & eb).flatten(1).sum(1).float()
    expect = torch.where(ka + kb > 0, ka / (ka + kb).clamp_min(1), lam)
    torch.testing.assert_close(r.weight, expect)
    assert ((r.weight >= 0) & (r.weight <= 1)).all()
    same = stitchup(a, b, lam, generator=torch.Generator().manual_seed(seed), mask=ma, mask_b=ma)
    old = stitchup(a, b, lam, generator=torch.Generator().manual_seed(seed), mask=ma)
    assert torch.equal(same.weight, old.weight)                 # one mask for both: the earlier rule


def test_stitchup_issue15_example():
    "a: 3 real tokens of 10, b: 10 real, lam 0.5: the union rule gave about 0.5; a supplies about 1.5 of 6.5 real units."
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(4, 10, 256, generator=g) + 1, -torch.rand(4, 10, 256, generator=g) - 1
    ma = torch.tensor([[1] * 3 + [0] * 7] * 4); mb = torch.ones(4, 10, dtype=torch.long)
    r = mix("stitchup", a, b, torch.full((4,), 0.5), generator=g, mask_a=ma, mask_b=mb)
    assert ((r.weight > 0.2) & (r.weight < 0.26)).all(), r.weight


@SETTINGS
@given(case=pair_case(), data=st.data())
def test_attentionmix_content(case, data):
    "Special tokens (real, not content) carry no attention mass and get the plain mix when both sides are special."
    a, b, lam, ma, mb, aa, ab = case
    B, T = ma.shape
    bits = lambda: torch.tensor(data.draw(st.lists(st.lists(st.integers(0, 1), min_size=T, max_size=T), min_size=B, max_size=B)))
    ca, cb = bits() * ma, bits() * mb
    r = attentionmix(a, b, lam, aa, ab, ma, mb, ca, cb)
    w, weight, pa, pb = attentionmix_token_weights(lam, aa, ab, ma, mb, ca, cb)
    assert torch.equal(r.weight, weight) and ((weight >= 0) & (weight <= 1)).all() and ((w >= 0) & (w <= 1)).all()
    assert (pa[ca == 0] == 0).all() and (pb[cb == 0] == 0).all()
    torch.testing.assert_close(pa.sum(1), (ca.sum(1) > 0).float())
    L = lam[:, None].expand_as(w)
    both_special = (ma == 1) & (ca == 0) & (mb == 1) & (cb == 0)
    torch.testing.assert_close(w[both_special], L[both_special])
    sel = (ca == 1) & (cb == 0) & (L > 0)                       # content only in a: a's token
    assert (w[sel] == 1).all()
    sel = (cb == 1) & (ca == 0) & (L < 1)                       # content only in b: b's token
    assert (w[sel] == 0).all()
    ka, kb = (pa * w).sum(1), (pb * (1 - w)).sum(1)
    ok = (ka + kb) > 0
    torch.testing.assert_close(weight[ok], (ka / (ka + kb))[ok])
    r0 = attentionmix(a, b, lam, aa, ab, ma, mb)
    r1 = attentionmix(a, b, lam, aa, ab, ma, mb, ma, mb)        # content = masks: today's behaviour
    assert torch.equal(r0.mixed, r1.mixed) and torch.equal(r0.weight, r1.weight)


# --- SSMix (pure parts) ----------------------------------------------------------------------------------

@st.composite
def ssmix_case(draw):
    "Random batches of single sentences or pairs laid out as [CLS] s1 [SEP] (s2 [SEP]) pad..."
    B, pairs = draw(st.integers(1, 5)), draw(st.booleans())
    rows = []
    for _ in range(2 * B):
        n1 = draw(st.integers(0, 12)); n2 = draw(st.integers(1, 8)) if pairs else 0
        row = [0] + [1] * n1 + [0] + ([1] * n2 + [0] if pairs else [])
        rows.append(row)
    T = max(map(len, rows)) + draw(st.integers(0, 3))
    content = torch.tensor([r + [0] * (T - len(r)) for r in rows])
    g = torch.Generator().manual_seed(draw(seeds))
    return content[:B], content[B:], torch.rand(B, T, generator=g), torch.rand(B, T, generator=g), pairs


@SETTINGS
@given(case=ssmix_case(), ratio=st.sampled_from([0.1, 0.3, 0.5, 1.0]))
def test_ssmix_plan(case, ratio):
    ca, cb, sa, sb, pairs = case
    plan = ssmix_plan(sa, sb, ca, cb, ratio)
    B, T = ca.shape
    seg_a, seg_b = content_segments(ca), content_segments(cb)
    assert int(seg_a.max()) <= (2 if pairs else 1)
    src = plan.source
    moved = src >= 0
    assert (ca[moved] == 1).all()                                # only a's content tokens are replaced
    for i in range(B):
        n_rep = 0
        for k in range(1, int(seg_a[i].max()) + 1):
            pos = (seg_a[i] == k).nonzero().flatten()
            m = span_length(len(pos), ratio)
            rep = pos[moved[i, pos]]
            if (seg_b[i] == k).sum() < m: assert len(rep) == 0; continue
            assert len(rep) == m and (rep.diff() == 1).all()      # one contiguous span of the rule's length
            s = src[i, rep]
            assert (seg_b[i, s] == k).all() and (s.diff() == 1).all()   # from b's same segment, in order
            start = rep[0] - pos[0]
            means = sa[i, pos].unfold(0, m, 1).mean(1)
            assert means[start] <= means.min() + 1e-6             # the least salient window of a
            bpos = (seg_b[i] == k).nonzero().flatten()
            bmeans = sb[i, bpos].unfold(0, m, 1).mean(1)
            assert bmeans[s[0] - bpos[0]] >= bmeans.max() - 1e-6  # the most salient window of b
            n_rep += m
        n_a = int(ca[i].sum())
        expect = 1 - n_rep / n_a if n_a else 1.0
        torch.testing.assert_close(plan.weight[i], torch.tensor(expect, dtype=torch.float32))
    ids_a, ids_b = torch.arange(B * T).view(B, T), 1000 + torch.arange(B * T).view(B, T)
    out = ssmix_replace(ids_a, ids_b, src)
    assert torch.equal(out[~moved], ids_a[~moved])
    assert torch.equal(out[moved], ids_b.gather(1, src.clamp_min(0))[moved])


@SETTINGS
@given(B=st.integers(1, 6), T=st.integers(1, 8), heads=st.integers(1, 3), dh=st.integers(1, 3),
       reduce=st.sampled_from(["mean", "max"]), seed=seeds, data=st.data())
def test_cls_attention(B, T, heads, dh, reduce, seed, data):
    torch.manual_seed(seed)
    D = heads * dh
    q, k = nn.Linear(D, D), nn.Linear(D, D)
    hid = torch.randn(B, T, D)
    mask = torch.tensor(data.draw(st.lists(st.lists(st.integers(0, 1), min_size=T, max_size=T), min_size=B, max_size=B)))
    with torch.no_grad():
        p = cls_attention(hid, mask, q, k, heads, reduce)
        Q, K = q(hid[:, 0]).view(B, heads, dh), k(hid).view(B, T, heads, dh)
        s = torch.einsum("bhd,bthd->bht", Q, K) / math.sqrt(dh)
        ref = s.masked_fill(mask[:, None, :] == 0, -math.inf).softmax(-1)
        ref = ref.mean(1) if reduce == "mean" else ref.amax(1)
        ref = ref / ref.sum(-1, keepdim=True)
    assert p.shape == (B, T) and p.dtype == torch.float32 and torch.isfinite(p).all()
    real = mask.sum(1) > 0
    torch.testing.assert_close(p[real], ref[real])
    torch.testing.assert_close(p.sum(1), real.float())
    assert (p[mask == 0] == 0).all()


@SETTINGS
@given(case=pair_case())
def test_union_mask(case):
    ma, mb = case[3], case[4]
    u = union_mask(ma, mb)
    assert u.dtype == ma.dtype and u.shape == ma.shape
    assert torch.equal(u, ((ma == 1) | (mb == 1)).long())
    assert torch.equal(union_mask(ma.bool(), mb), u.bool())


@SETTINGS
@given(case=pair_case(), method=st.sampled_from(TENSOR_METHODS), seed=seeds)
def test_mix_dispatch(case, method, seed):
    a, b, lam, ma, mb, aa, ab = case
    r = mix(method, a, b, lam, generator=torch.Generator().manual_seed(seed), mask_a=ma, mask_b=mb, attn_a=aa, attn_b=ab)
    if method == "mixup": ref = mixup(a, b, lam)
    elif method == "stitchup": ref = stitchup(a, b, lam, generator=torch.Generator().manual_seed(seed), mask=ma, mask_b=mb)
    else: ref = attentionmix(a, b, lam, aa, ab, ma, mb)
    assert torch.equal(r.mixed, ref.mixed) and torch.equal(r.weight, ref.weight)
    assert ((r.weight >= 0) & (r.weight <= 1)).all()


# --- targets and loss ------------------------------------------------------------------------------------

@SETTINGS
@given(data=st.data(), B=st.integers(1, 6), C=st.integers(2, 5), smoothing=st.one_of(st.just(0.0), st.floats(0, 0.99)))
def test_soft_targets(data, B, C, smoothing):
    y = torch.tensor(data.draw(st.lists(st.integers(0, C - 1), min_size=B, max_size=B)))
    yp = torch.tensor(data.draw(st.lists(st.integers(0, C - 1), min_size=B, max_size=B)))
    w = torch.tensor(data.draw(st.lists(unit, min_size=B, max_size=B)), dtype=torch.float32)
    t = soft_targets(y, yp, w, C, smoothing)
    assert t.shape == (B, C) and t.dtype == torch.float32
    torch.testing.assert_close(t.sum(1), torch.ones(B))
    assert (t >= 0).all()
    i = torch.arange(B)
    diff = y != yp
    torch.testing.assert_close(t[i, y][diff], (w * (1 - smoothing) + smoothing / C)[diff])
    torch.testing.assert_close(t[i, yp][diff], ((1 - w) * (1 - smoothing) + smoothing / C)[diff])
    torch.testing.assert_close(t[i, y][~diff], torch.full_like(w, 1 - smoothing + smoothing / C)[~diff])


@SETTINGS
@given(data=st.data(), B=st.integers(1, 6), C=st.integers(2, 5), seed=seeds, smoothing=st.floats(0, 0.9))
def test_soft_cross_entropy(data, B, C, seed, smoothing):
    z = torch.randn(B, C, generator=torch.Generator().manual_seed(seed))
    y = torch.tensor(data.draw(st.lists(st.integers(0, C - 1), min_size=B, max_size=B)))
    yp = torch.tensor(data.draw(st.lists(st.integers(0, C - 1), min_size=B, max_size=B)))
    torch.testing.assert_close(soft_cross_entropy(z, soft_targets(y, y, torch.ones(B), C)), F.cross_entropy(z, y))
    torch.testing.assert_close(soft_cross_entropy(z, soft_targets(y, y, torch.ones(B), C, smoothing)),
                               F.cross_entropy(z, y, label_smoothing=smoothing))
    w = torch.tensor(data.draw(st.lists(unit, min_size=B, max_size=B)), dtype=torch.float32)
    t = soft_targets(y, yp, w, C)
    torch.testing.assert_close(soft_cross_entropy(z, t, "none"), F.cross_entropy(z, t, reduction="none"))
    torch.testing.assert_close(soft_cross_entropy(z, t, "none"),
                               w * F.cross_entropy(z, y, reduction="none") + (1 - w) * F.cross_entropy(z, yp, reduction="none"))


# --- bad arguments ---------------------------------------------------------------------------------------

@SETTINGS
@given(case=pair_case(), bad=st.one_of(st.floats(-10, -1e-6), st.floats(1 + 1e-6, 10), st.just(math.nan)),
       method=st.sampled_from(TENSOR_METHODS))
def test_lam_out_of_range_raises(case, bad, method):
    a, b, lam, ma, mb, aa, ab = case
    lam = lam.clone(); lam[0] = bad
    with pytest.raises(ValueError, match=r"\[0,1\]"):
        mix(method, a, b, lam, mask_a=ma, mask_b=mb, attn_a=aa, attn_b=ab)


def test_bad_arguments():
    a, b, lam = torch.randn(2, 3, 4), torch.randn(2, 3, 4), torch.full((2,), 0.5)
    m, att = torch.ones(2, 3), torch.full((2, 3), 1 / 3)
    for method in TENSOR_METHODS:
        kw = dict(mask_a=m, mask_b=m, attn_a=att, attn_b=att)
        with pytest.raises(TypeError, match="floating-point"): mix(method, a.long(), b.long(), lam, **kw)
        with pytest.raises(ValueError, match="same shape"): mix(method, a, b[:, :2], lam, **kw)
        with pytest.raises(ValueError, match=r"shape \(2,\)"): mix(method, a, b, lam[:1], **kw)
    with pytest.raises(ValueError, match="mixup, stitchup, attentionmix, ssmix"): mix("cutmix", a, b, lam)
    with pytest.raises(ValueError, match="ssmix_forward"): mix("ssmix", a, b, lam)
    with pytest.raises(ValueError, match="attn_a"): mix("attentionmix", a, b, lam, mask_a=m, mask_b=m)
    with pytest.raises(ValueError, match="token states"): attentionmix(a[:, 0], b[:, 0], lam, att, att, m, m)
    with pytest.raises(ValueError, match=r"\[-1, 5\]"): soft_targets(torch.tensor([5, -1]), torch.tensor([0, 1]), lam, 3)
    with pytest.raises(ValueError, match="num_classes"): soft_targets(torch.tensor([0, 1]), torch.tensor([0, 1]), lam, 1)
    with pytest.raises(ValueError, match="smoothing"): soft_targets(torch.tensor([0, 1]), torch.tensor([0, 1]), lam, 2, 1.0)
    with pytest.raises(TypeError, match="integer"): soft_targets(torch.tensor([0., 1.]), torch.tensor([0, 1]), lam, 2)
