#!/usr/bin/env bash
# Ships a training run's best checkpoint as the default model:
#   bash training/ship-default.sh [RUN_DIR] [CORPUS]
# Exports models/default (float16) with the checkpoint's card plus the data
# licence, writes a lexicon of the training text's words (seen at least
# LEXICON_MIN_COUNT times, default 3), regenerates the parity fixture the
# browser tests compare against, and prints the validation bpc per file of the
# float32, float16 and int8 exports on v2/valid and valid (the storage-precision
# table of the model card). CHECKPOINT overrides RUN_DIR/best.pt.
set -euo pipefail
P=/usr/bin/python3
RUN=${1:-training/runs/default-v2}
C=${2:-../shared/corpus}
CK=${CHECKPOINT:-$RUN/best.pt}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

$P - "$CK" "$TMP/card.json" <<'PY'
import json, sys
sys.path.insert(0, "training")
from train import load_checkpoint
card = dict(load_checkpoint(sys.argv[1])["card"])
card["license"] = (
    "CC-BY-SA-4.0 AND CDLA-Sharing-1.0 AND CC-BY-4.0 AND Apache-2.0: the weights are derived "
    "from the training text, which includes the Schema-Guided Dialogue dataset (Google, CC BY-SA "
    "4.0), Topical-Chat (Amazon, CDLA-Sharing-1.0), the HWU64 utterances (Liu et al. 2019, CC BY "
    "4.0), Kubernetes documents (The Kubernetes Authors, Apache-2.0) and Wikipedia articles "
    "(Wikipedia contributors, CC BY-SA); the rest is public domain or CC0. Share-alike: "
    "redistributed or adapted weights carry the same terms.")
json.dump(card, open(sys.argv[2], "w"), indent=1)
PY

$P training/export.py --checkpoint "$CK" --out models/default --dtype float16 --card "$TMP/card.json"
# The lexicon: the word forms of the training text (the card's trainFiles are these folders' files).
node training/lexicon.mjs --model models/default --min-count "${LEXICON_MIN_COUNT:-3}" --text "$C/train" "$C/v2/train"
$P training/parity.py --model models/default --out test/fixtures/parity/default.json
for dtype in float32 int8; do
  $P training/export.py --checkpoint "$CK" --out "$TMP/$dtype" --dtype "$dtype" --card "$TMP/card.json" > /dev/null
done
for dir in "$TMP/float32" models/default "$TMP/int8"; do
  echo "== $(basename "$dir")  weights.bin $(stat -c %s "$dir/weights.bin") bytes"
  $P training/train.py --eval-only "$dir" --valid "$C/v2/valid" "$C/valid" --threads "${THREADS:-1}" \
    | grep -v '^{'
done
