#!/usr/bin/env bash
# Ships a training run's best checkpoint as the default model:
#   bash training/ship-default.sh [RUN_DIR] [VALID]
# Exports models/default (float16) with the checkpoint's card plus the data
# licence and a lexicon of the training text's words, regenerates the parity fixture the browser tests compare against,
# and prints the validation metrics of the float32, float16 and int8 exports
# (the storage-precision table of the model card).
set -euo pipefail
P=/usr/bin/python3
RUN=${1:-training/runs/default-lstm2}
VALID=${2:-../shared/corpus/valid}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

$P - "$RUN/best.pt" "$TMP/card.json" <<'PY'
import json, sys
sys.path.insert(0, "training")
from train import load_checkpoint
card = dict(load_checkpoint(sys.argv[1])["card"])
card["license"] = ("Weights derived from the training texts: 15 public-domain books (Project Gutenberg) "
                   "and one Wikipedia article (CC BY-SA 4.0); treat them as CC BY-SA.")
json.dump(card, open(sys.argv[2], "w"), indent=1)
PY

$P training/export.py --checkpoint "$RUN/best.pt" --out models/default --dtype float16 --card "$TMP/card.json"
# The lexicon: every word form of the training files the card lists.
node training/lexicon.mjs --model models/default --text $($P -c 'import json,sys; c=json.load(open("models/default/model.json"))["card"]; print(" ".join("../shared/corpus/train/"+f for f in c["trainFiles"]))')
$P training/parity.py --model models/default --out test/fixtures/parity/default.json
for dtype in float32 int8; do
  $P training/export.py --checkpoint "$RUN/best.pt" --out "$TMP/$dtype" --dtype "$dtype" --card "$TMP/card.json" > /dev/null
done
for dir in "$TMP/float32" models/default "$TMP/int8"; do
  printf '%s  weights.bin %s bytes  ' "$(basename "$dir")" "$(stat -c %s "$dir/weights.bin")"
  $P training/train.py --eval-only "$dir" --valid "$VALID" --threads "${THREADS:-1}" | tail -1
done
