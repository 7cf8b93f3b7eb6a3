#!/usr/bin/env bash
# GPU readiness check (issue 16, part 7): the study's protocol in bf16 and a 2-process run, results in reports/gpu/.
#
#   bash gpu/check.sh                 # on a GPU machine: real runs, written to reports/gpu/ (commit that folder)
#   DRY_RUN=1 bash gpu/check.sh       # anywhere (CPU): the same steps on a tiny slice with the bundled model,
#                                     # written to /tmp/gpu_check_dry (never to reports/)
#
# Environment: PYTHON (default python), DATA (default $EMBEDDINGS_MIXUP_DATA/rt-polaritydata, else
# ../shared/data/rt-polaritydata), MODEL (default mpnet-base: needs embeddings_mixup.weights.resolve_model to know it;
# bert-base-cased where the Hub is reachable), SITE (default embed), OUT_ROOT.
# 1. one process, bf16, the study's protocol (configs/gpu_study_bf16.yaml: 10 epochs, batch 256, max_len 70);
# 2. two processes with torchrun: on 2+ GPUs the same protocol; on one GPU (NCCL cannot put two ranks on one device)
#    the 2-process run is on CPU (gloo), 1 epoch on a 2,048-example slice, 256 validation and test examples;
# 3. reports/gpu/summary.md + summary.json: status, processes, precision, effective batch, accuracy, speed, per run;
#    each run folder keeps metrics.json, history.csv and model_card.md (the weights in model/ are git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
DATA=${DATA:-${EMBEDDINGS_MIXUP_DATA:-../shared/data}/rt-polaritydata}
MODEL=${MODEL:-mpnet-base}
SITE=${SITE:-embed}
export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} HF_DATASETS_OFFLINE=${HF_DATASETS_OFFLINE:-1}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ "${DRY_RUN:-0}" = 1 ]; then
  OUT=${OUT_ROOT:-/tmp/gpu_check_dry}
  TINY=(--model default --limit 64 --eval-limit 33 --epochs 1 --batch-size 16 --max-len 32 --eval-batch-size 64)
  STUDY=("${TINY[@]}" --mixed-precision bf16)      # CPU autocast: the bf16 path, on a CPU
  CPU2=("${TINY[@]}" --mixed-precision no)
else
  OUT=${OUT_ROOT:-reports/gpu}
  STUDY=(--model "$MODEL")
  CPU2=(--model "$MODEL" --epochs 1 --limit 2048 --eval-limit 256 --batch-size 32 --mixed-precision no)
fi
mkdir -p "$OUT"
NGPU=$($PY -c "import torch; print(torch.cuda.device_count())")
{ date -u; $PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'gpus', torch.cuda.device_count(), [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())])"
  nvidia-smi 2>/dev/null || echo "nvidia-smi: none"; } > "$OUT/device.txt"
echo "== 1. one process, bf16, the study's protocol ($MODEL, site $SITE) -> $OUT/bf16-1proc"
$PY -m embeddings_mixup train --config configs/gpu_study_bf16.yaml --data "$DATA" --site "$SITE" \
  --out-dir "$OUT/bf16-1proc" "${STUDY[@]}"
if [ "$NGPU" -ge 2 ]; then
  echo "== 2. two processes on two GPUs (torchrun, NCCL) -> $OUT/bf16-2proc"
  torchrun --standalone --nproc_per_node 2 -m embeddings_mixup train --config configs/gpu_study_bf16.yaml \
    --data "$DATA" --site "$SITE" --out-dir "$OUT/bf16-2proc" "${STUDY[@]}"
else
  echo "== 2. two processes on CPU (torchrun, gloo; $NGPU GPU here) -> $OUT/cpu-2proc"
  CUDA_VISIBLE_DEVICES="" OMP_NUM_THREADS=${OMP_NUM_THREADS:-4} torchrun --standalone --nproc_per_node 2 \
    -m embeddings_mixup train --config configs/gpu_study_bf16.yaml --data "$DATA" --site "$SITE" \
    --out-dir "$OUT/cpu-2proc" "${CPU2[@]}"
fi
$PY - "$OUT" <<'PYEOF'
import json, shutil, sys
from pathlib import Path
out, rows = Path(sys.argv[1]), []
for m in sorted(out.glob("*/metrics.json")):
    r = json.loads(m.read_text()); card = m.parent / "model" / "README.md"
    if card.is_file(): shutil.copy(card, m.parent / "model_card.md")
    d = r["parameters_sha256"]
    rows.append({"run": m.parent.name, "status": r["status"], "device": r["device"], "processes": r["num_processes"],
                 "precision": r["mixed_precision"], "effective_batch": r["effective_batch_size"],
                 "epochs": len(r["history"]), "val_accuracy": (r["validation"] or {}).get("accuracy"),
                 "test_accuracy": (r["test"] or {}).get("accuracy"), "evaluated": r["evaluated"],
                 "ranks_agree": len(set(d)) == 1, "train_examples_per_s": round(r["timing"]["train_examples_per_s"]),
                 "total_seconds": round(r["timing"]["total_seconds"])})
(out / "summary.json").write_text(json.dumps(rows, indent=1))
keys = list(rows[0]) if rows else []
md = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)] + ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
(out / "summary.md").write_text("\n".join(md) + "\n"); print("\n".join(md))
bad = [r["run"] for r in rows if r["status"] != "complete" or not r["ranks_agree"]]
sys.exit(f"not complete or ranks disagree: {bad}" if bad or not rows else 0)
PYEOF
