#!/usr/bin/env bash
# Packs the default model's training and validation text for a machine that gets
# only a copy of the checkout (at most 64 MiB): training/data/corpus.tar.xz,
# about 25 MB, laid out as corpus/{train,valid,v2/train,v2/valid} so the
# trainer's source names are the same there. Git-ignored; carry it.
#   bash training/pack-corpus.sh [SHARED_CORPUS]      # default ../shared/corpus
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:-../shared/corpus}
mkdir -p training/data
tar -C "$(dirname "$SRC")" -cf - \
  "$(basename "$SRC")/train" "$(basename "$SRC")/valid" \
  "$(basename "$SRC")/v2/train" "$(basename "$SRC")/v2/valid" | xz -6 -T1 > training/data/corpus.tar.xz.tmp
mv training/data/corpus.tar.xz.tmp training/data/corpus.tar.xz
ls -l training/data/corpus.tar.xz
