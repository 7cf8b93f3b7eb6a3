'''
SSMix
Copyright (c) 2021-present NAVER Corp.
Apache License v2.0
'''
# A minimal copy of the reference SSMix code, kept to test `embeddings_mixup.ssmix` against it (issue 26).
#
# Source: https://github.com/clovaai/ssmix at commit 127e7963b1be16c56de84ee07fb9897fb478a933
#   - `SSMix.__call__`, `SSMix.ssmix`       from augmentation/ssmix.py
#   - `get_saliency`                        from augmentation/saliency.py
#   - `Augment.__call__`, `split_pairs`, `merge_pairs` from augmentation/__init__.py
#   - `trace_grad` (where the gradient is taken) from classification_model.py, `AlteredBertModel.forward`
# License: Apache License 2.0, Copyright (c) 2021-present NAVER Corp. The full license text and the project's
# NOTICE are next to this file (LICENSE.clovaai-ssmix, NOTICE.clovaai-ssmix).
#
# MODIFIED FILE (Apache-2.0 section 4(b)): changed by the embeddings_mixup project, only as needed to run without
# the reference's training script and its altered BERT model. Every change is marked `# ADAPTED:` below:
#   1. `args` is any object with `ss_winsize`, `device`, `nli_dataset`, `aug_mode` and, for `get_saliency`,
#      `model` and `criterion` (`make_args` builds one with the reference's defaults: `ss_winsize=10` and
#      `criterion=nn.CrossEntropyLoss(reduction="none")` from run_train.py, `max_len=128` from `Augment`).
#   2. `SSMix` looks its saliency function up on `args.saliency_fn` (default: `get_saliency` below), so tests can
#      give fixed saliencies; the reference calls the module-level `get_saliency` directly.
#   3. `get_saliency` runs a Hugging Face `BertForSequenceClassification`: the reference's
#      `model.module.bert(inputs=input, trace_grad=True)` returns the output of `BertEmbeddings` detached with
#      `requires_grad_(True)` (`AlteredBertModel.forward`); here a forward hook on `model.bert.embeddings` does the
#      same. `args.optimizer.zero_grad()` becomes `model.zero_grad()` (no optimizer here).
#   4. Only the saliency + span path is kept: the ablations `ssmix_nosal` / `ssmix_nosal_nospan` (no saliency,
#      no span), the `UNK` augmentation and the training loop are left out.
# The logic of the kept code is unchanged, including its edge cases (e.g. copying [CLS] when the partner is shorter
# than the span, `ratio = 1 - mix_size / (l1 - 2)` dividing by zero for an input without content tokens).
import copy
from types import SimpleNamespace

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['SSMix', 'Augment', 'get_saliency', 'make_args']


def make_args(nli_dataset=False, ss_winsize=10, model=None, saliency_fn=None, device='cpu'):  # ADAPTED (1, 2)
    "The fields of the reference's argparse namespace that the kept code reads, with its defaults."
    return SimpleNamespace(aug_mode='ssmix', ss_winsize=ss_winsize, ss_no_saliency=False, ss_no_span=False,
                           nli_dataset=nli_dataset, device=torch.device(device), model=model,
                           criterion=nn.CrossEntropyLoss(reduction="none"), saliency_fn=saliency_fn)


# ----------------------------------------------------------------------------------------- augmentation/saliency.py
def get_saliency(args, input, target):
    batch_size = target.shape[0]

    # Saliency
    for key in input.keys():
        if input[key] is not None and len(input[key].size()) < 2:
            input[key] = input[key].unsqueeze(0)
    model = args.model.to(args.device)
    model.train()

    # ADAPTED (3): the reference runs `output = model.module.bert(inputs=input, trace_grad=True)` with
    # `logit = output[0]; embedding = output[-1]`, where `trace_grad` does, in AlteredBertModel.forward:
    #     embedding_output = self.embeddings(input_ids=..., position_ids=..., token_type_ids=..., inputs_embeds=...)
    #     if trace_grad:
    #         embedding_output = embedding_output.detach().requires_grad_(True)
    # i.e. the gradient is taken at the output of BertEmbeddings (word + position + token type, LayerNorm, dropout).
    store = {}

    def trace_grad(module, args_, out):
        store['embedding'] = out.detach().requires_grad_(True)
        return store['embedding']
    handle = model.bert.embeddings.register_forward_hook(trace_grad)
    try:
        logit = model(**input).logits
    finally:
        handle.remove()
    embedding = store['embedding']
    model.zero_grad()  # ADAPTED (3): args.optimizer.zero_grad()

    loss = torch.mean(args.criterion(logit, target.to(args.device)))
    loss.backward()

    unary = torch.sqrt(torch.mean(embedding.grad ** 2, dim=2))
    unary = unary / unary.view(batch_size, -1).max(1)[0].view(batch_size, 1)
    return unary, embedding, target


# ------------------------------------------------------------------------------------------ augmentation/ssmix.py
class SSMix:
    def __init__(self, args):
        self.args = args

    def _get_saliency(self, args, input, target):  # ADAPTED (2): the reference calls get_saliency directly
        return (getattr(args, 'saliency_fn', None) or get_saliency)(args, input, target)

    def __call__(self, input1, input2, target1, target2, length1, length2, max_len):
        batch_size = len(length1)

        if self.args.ss_no_saliency:
            raise NotImplementedError('ADAPTED (4): the no-saliency ablations are not copied')
        else:
            assert not self.args.ss_no_span

            input2_saliency, input2_emb, _ = self._get_saliency(self.args, input2, target2)

            inputs_aug, ratio = self.ssmix(batch_size, input1, input2,
                                           length1, length2, input2_saliency, target1, max_len)

        return inputs_aug, ratio

    def ssmix(self, batch_size, input1, input2, length1, length2, saliency2, target1, max_len):
        inputs_aug = copy.deepcopy(input1)
        for i in range(batch_size):  # cut off length bigger than max_len ( nli task )
            if length1[i].item() > max_len:
                length1[i] = max_len
                for key in inputs_aug.keys():
                    inputs_aug[key][i][max_len:] = 0
                inputs_aug['input_ids'][i][max_len - 1] = 102
        saliency1, _, _ = self._get_saliency(self.args, inputs_aug, target1)
        ratio = torch.ones((batch_size,), device=self.args.device)

        for i in range(batch_size):
            l1, l2 = length1[i].item(), length2[i].item()
            limit_len = min(l1, max_len) - 2  # mixup except [CLS] and [SEP]
            mix_size = max(int(limit_len * (self.args.ss_winsize / 100.)), 1)

            if l2 < mix_size:
                ratio[i] = 1
                continue

            saliency1_nopad = saliency1[i, :l1].unsqueeze(0).unsqueeze(0)
            saliency2_nopad = saliency2[i, :l2].unsqueeze(0).unsqueeze(0)

            saliency1_pool = F.avg_pool1d(saliency1_nopad, mix_size, stride=1).squeeze(0).squeeze(0)
            saliency2_pool = F.avg_pool1d(saliency2_nopad, mix_size, stride=1).squeeze(0).squeeze(0)

            # should not select first and last
            saliency1_pool[0], saliency1_pool[-1] = 100, 100
            saliency2_pool[0], saliency2_pool[-1] = -100, -100
            input1_idx = torch.argmin(saliency1_pool)
            input2_idx = torch.argmax(saliency2_pool)
            inputs_aug['input_ids'][i, input1_idx:input1_idx + mix_size] = \
                input2['input_ids'][i, input2_idx:input2_idx + mix_size]

            ratio[i] = 1 - (mix_size / (l1 - 2))

        return inputs_aug, ratio


# ---------------------------------------------------------------------------------------- augmentation/__init__.py
class Augment:
    def __init__(self, args):
        self.args = args
        self.max_len = 128
        assert self.max_len % 2 == 0, 'Invalid max_len: must be multiple of 2'

        # Augment method selection
        if args.aug_mode in ['normal', 'tmix', 'embedmix']:
            self.augment = None
        elif args.aug_mode == 'ssmix':
            self.augment = SSMix(self.args)
        else:
            raise NotImplementedError('Invalid augmentation')  # ADAPTED (4): 'unk' not copied

    def __call__(self, input1, target1, length1, input2, target2, length2):
        if self.augment is None:
            return None

        if self.args.nli_dataset:
            input1_l, input1_r, length1_l, length1_r = self.split_pairs(input1, length1)
            input2_l, input2_r, length2_l, length2_r = self.split_pairs(input2, length2)

            # Mixup input1 & input2
            mix_input1_left, mix_ratio1_left = self.augment(input1_l, input2_l,
                                                            target1, target2,
                                                            length1_l, length2_l, self.max_len // 2)
            mix_input1_right, mix_ratio1_right = self.augment(input1_r, input2_r,
                                                              target1, target2,
                                                              length1_r, length2_r, self.max_len // 2)

            # Mixup input2 & input1
            mix_input2_left, mix_ratio2_left = self.augment(input2_l, input1_l,
                                                            target2, target1,
                                                            length2_l, length1_l, self.max_len // 2)
            mix_input2_right, mix_ratio2_right = self.augment(input2_r, input1_r,
                                                              target2, target1,
                                                              length2_r, length1_r, self.max_len // 2)

            # Merge pair
            mix_input1, left_token_len1, right_token_len1 = self.merge_pairs(mix_input1_left, mix_input1_right)
            mix_input2, left_token_len2, right_token_len2 = self.merge_pairs(mix_input2_left, mix_input2_right)

            try:
                ratio1_left = torch.div(left_token_len1, left_token_len1 + right_token_len1).to(self.args.device)
                ratio2_left = torch.div(left_token_len2, left_token_len2 + right_token_len2).to(self.args.device)
            except RuntimeError: # for different pytorch versions
                ratio1_left = torch.true_divide(left_token_len1, left_token_len1 + right_token_len1).to(self.args.device)
                ratio2_left = torch.true_divide(left_token_len2, left_token_len2 + right_token_len2).to(self.args.device)

            mix_ratio1 = mix_ratio1_left * ratio1_left + mix_ratio1_right * (1 - ratio1_left)
            mix_ratio2 = mix_ratio2_left * ratio2_left + mix_ratio2_right * (1 - ratio2_left)

        else:
            mix_input1, mix_ratio1 = self.augment(input1, input2,
                                                  target1, target2,
                                                  length1, length2, self.max_len)

            mix_input2, mix_ratio2 = self.augment(input2, input1,
                                                  target2, target1,
                                                  length2, length1, self.max_len)

        return mix_input1, mix_ratio1, mix_input2, mix_ratio2

    def split_pairs(self, inputs, length):
        key_set = ['input_ids', 'attention_mask', 'token_type_ids']
        left, right = {key: inputs[key].clone().detach() for key in key_set}, \
                      {key: inputs[key].clone().detach() for key in key_set}

        left_length, right_length = list(), list()
        batch_size = len(inputs['input_ids'])
        for batch_idx in range(batch_size):
            mask_pair = torch.where(inputs['token_type_ids'][batch_idx] == 1)[0]
            pair_length = len(mask_pair)

            for key in key_set:
                left[key][batch_idx][mask_pair] = 0  # remove second pair info for left
                right[key][batch_idx][1:pair_length + 1] = \
                    right[key][batch_idx][mask_pair]  # move right text to first idx, with SOS token.
                right[key][batch_idx][pair_length + 1:] = 0  # remove unnecessary tokens

            right['token_type_ids'][batch_idx][0] = 1  # edge case for SOS token token_type_ids
            left_length.append(length[batch_idx].item() - pair_length)
            right_length.append(pair_length + 1)

        left_length, right_length = torch.tensor(left_length), torch.tensor(right_length)
        return left, right, left_length, right_length

    def merge_pairs(self, input1, input2):
        batch_size = input1['input_ids'].shape[0]

        key_set = ['input_ids', 'attention_mask', 'token_type_ids']

        # merged = input1 + input2, then return input2
        merged = {key: torch.zeros((batch_size, self.max_len),
                                   device=self.args.device, dtype=torch.long) for key in key_set}

        length_left, length_right = list(), list()
        for batch_idx in range(len(input1['input_ids'])):
            length1 = input1['attention_mask'][batch_idx].sum()
            length2 = input2['attention_mask'][batch_idx].sum()

            # Leave out the SOS token.
            merged['input_ids'][batch_idx][:length1 + 1] = input1['input_ids'][batch_idx][:length1 + 1]
            assert (length1 + length2) <= self.max_len

            merged['input_ids'][batch_idx][length1:(length1 + length2)] = input2['input_ids'][batch_idx][1:length2 + 1]
            merged['attention_mask'][batch_idx][:length1 + length2 - 1] = 1
            merged['token_type_ids'][batch_idx][length1:length1 + length2 - 1] = 1

            length1 -= 2
            length2 -= 2 # remove EOS, SOS
            length_left.append(length1)
            length_right.append(length2)

        return merged, torch.tensor(length_left), torch.tensor(length_right)
