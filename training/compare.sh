#!/usr/bin/env bash
# Short runs of LSTM, GRU and CIFG at comparable parameter counts (about 0.85 M),
# same data, schedule and number of steps (so the same characters seen, whatever
# else the machine is doing), for the model card's comparison table.
# Usage: bash training/compare.sh [STEPS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-1000}
threads=${2:-1}
corpus=${CORPUS:-../shared/corpus}
for spec in "lstm 256" "gru 296" "cifg 296"; do
  set -- $spec
  /usr/bin/python3 training/train.py --train "$corpus/train" --valid "$corpus/valid" \
    --out "training/runs/compare-$1" --force --cell "$1" --embedding 32 --hidden "$2" "$2" \
    --batch 32 --seq 100 --lr 3e-3 --steps "$steps" --eval-every 100000 --log-every 100 --threads "$threads"
done
