#!/usr/bin/env bash
# The training round trip that `npm test` checks in the browser: train a tiny
# model for a few steps on a few KB (this project's own docs), export it to the
# model format, and write PyTorch's reference probabilities for it.
# Output: test-artifacts/roundtrip/{model/,expected.json}; test/roundtrip.test.js loads them.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-/usr/bin/python3}
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "roundtrip: PyTorch is missing for $python; install it with: apt-get install -y python3-torch libopenblas0-pthread" >&2
  exit 1
fi
out=test-artifacts/roundtrip
rm -rf "$out"
mkdir -p "$out"
# (no pipes into head: with pipefail, the writer's SIGPIPE would fail the script)
cat README.md docs/model-format.md > "$out/all.txt"
head -c 6000 "$out/all.txt" > "$out/train.txt"
head -c 2000 training/README.md > "$out/valid.txt"
"$python" training/train.py --train "$out/train.txt" --valid "$out/valid.txt" --out "$out/run" --force \
  --cell lstm --embedding 8 --hidden 24 24 --min-count 1 --batch 4 --seq 32 --steps 12 --eval-every 6 \
  --log-every 6 --threads 1 > "$out/train.log"
"$python" training/export.py --checkpoint "$out/run/last.pt" --out "$out/model" --dtype float32 > "$out/export.log"
"$python" training/parity.py --model "$out/model" --out "$out/expected.json"
echo "roundtrip: trained $(grep -c '^step' "$out/train.log") log lines, exported and wrote references to $out"
