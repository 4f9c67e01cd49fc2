#!/usr/bin/env bash
# Tiny Shakespeare model: first 90% train, last 10% validation (by characters),
# as in char-rnn and nanoGPT. Exports to examples/models/shakespeare/.
# Usage: bash training/shakespeare.sh [MINUTES] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-25}
threads=${2:-1}
src=${CORPUS:-../shared/corpus}/tinyshakespeare.txt
run=training/runs/shakespeare
mkdir -p "$run"
/usr/bin/python3 - "$src" "$run" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
n = int(len(text) * 0.9)
open(sys.argv[2] + "/train.txt", "w", encoding="utf-8").write(text[:n])
open(sys.argv[2] + "/valid.txt", "w", encoding="utf-8").write(text[n:])
print("tinyshakespeare: %d train, %d valid characters" % (n, len(text) - n))
PY
/usr/bin/python3 training/train.py --train "$run/train.txt" --valid "$run/valid.txt" --out "$run/run" --force \
  --cell lstm --embedding 32 --hidden 256 256 --min-count 1 --batch 32 --seq 100 --lr 3e-3 --dropout 0.15 \
  --minutes "$minutes" --eval-every 400 --log-every 100 --threads "$threads"
/usr/bin/python3 training/export.py --checkpoint "$run/run/best.pt" --out examples/models/shakespeare --dtype float16
