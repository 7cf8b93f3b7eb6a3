"""Check that the strict xfails of tests/test_ssmix_reference.py flip when issue 26's fixes land, before they land.

Monkeypatches the package with minimal stand-ins for the fixes (never committed to the package), then runs the test
file with --runxfail (an xfail runs as a normal test). Usage, from the repository root:

    python tests/reference/simulate_fixes_issue26.py 1,2,3      # all three fixes: every test passes
    python tests/reference/simulate_fixes_issue26.py 2          # only (2): the (1) and (3) tests still fail

(1) MixupTrainer gives its Mixer the tokenizer's special ids (processing_class, else the data collator's tokenizer).
(2) content = real tokens that are not structural specials: [UNK] and [MASK] are content.
(3) SSMix saliency at the output of the embeddings module (`model.base_model.embeddings`).
"""
import sys

import embeddings_mixup.model as M
import embeddings_mixup.trainer as TR


def fix_2():
    orig = M.content_mask
    def content_mask(input_ids, mask, special_ids):
        return orig(input_ids, mask, [i for i in special_ids if i not in (100, 103)])   # BERT [UNK], [MASK]
    M.content_mask = content_mask


def fix_1():
    orig = TR.MixupTrainer._current_mixer
    def _current_mixer(self):
        tok = self.processing_class or getattr(self.data_collator, "tokenizer", None)
        self.mixer_kwargs.setdefault("special_ids", tok.all_special_ids)
        return orig(self)
    TR.MixupTrainer._current_mixer = _current_mixer


def fix_3():
    from embeddings_mixup.ssmix import ssmix_forward
    def _ssmix(self, inputs, labels, forward):
        s = self.step
        out = ssmix_forward(lambda **kw: forward(**kw).logits, self.model.base_model.embeddings, inputs, labels,
                            s.perm, s.content, self.ssmix_ratio)
        self.clean_logits = out.clean_logits
        return out.logits, out.weight
    M.Mixer._ssmix = _ssmix


if __name__ == "__main__":
    for f in sys.argv[1].split(","): {"1": fix_1, "2": fix_2, "3": fix_3}[f]()
    import pytest   # after the patches: the test module imports content_mask from the patched module
    sys.exit(pytest.main(["tests/test_ssmix_reference.py", "-p", "no:cacheprovider", "-q", "--runxfail"]))
