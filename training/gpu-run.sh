#!/usr/bin/env bash
# One training run on a CUDA machine that receives only a copy of the checkout.
#
#   bash training/pack-corpus.sh            # here, once: training/data/corpus.tar.xz (~25 MB, git-ignored)
#   bash training/gpu-run.sh OUT_DIR [MINUTES]          # there (carry training/data)
#
# Unpacks the corpus to a temporary folder, then trains the default model's
# architecture warm-started from models/default (the last shipped weights) with
# the fused cuDNN LSTM at a large batch for MINUTES (default 8: a 9-minute slot
# less start-up and the final evaluation). OUT_DIR gets best.pt and last.pt (the
# run folder), train.log, and gpu.txt (nvidia-smi and torch versions). best.pt
# goes through the same export and parity check as a CPU checkpoint:
#   bash training/ship-default.sh OUT_DIR/run
#
# Knobs (environment): DEVICE (cuda; "cpu" for the dry run below), BATCH (512),
# SEQ (128), LR (2e-3), EVAL_EVERY (1000), VALID_LIMIT (60000 chars per file
# during training; the final numbers come from ship-default.sh on all of it),
# INIT (models/default; "none" for a fresh start), THREADS (CPU threads).
# Dry run on CPU (what CI and a developer can check): 
#   DEVICE=cpu BATCH=8 SEQ=32 EVAL_EVERY=20 VALID_LIMIT=2000 bash training/gpu-run.sh /tmp/g 0.3
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: training/gpu-run.sh OUT_DIR [MINUTES]}
MINUTES=${2:-8}
P=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && ! "$P" -c 'import torch' 2>/dev/null && P=/usr/bin/python3
PACK=${PACK:-training/data/corpus.tar.xz}
[ -f "$PACK" ] || { echo "gpu-run: $PACK is missing; make it with bash training/pack-corpus.sh and carry it" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
t0=$(date +%s)
tar -xJf "$PACK" -C "$TMP"
echo "gpu-run: corpus unpacked in $(( $(date +%s) - t0 )) s: $(du -sh "$TMP" | cut -f1)" | tee "$OUT/train.log"
{ nvidia-smi 2>/dev/null || echo "no nvidia-smi"; "$P" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())'; } > "$OUT/gpu.txt" 2>&1
INIT=${INIT:-models/default}
init=()
[ "$INIT" != none ] && init=(--init "$INIT")
C="$TMP/corpus"
"$P" training/train.py --train "$C/train" "$C/v2/train" --valid "$C/v2/valid" "$C/valid" \
  --out "$OUT/run" --force --device "${DEVICE:-cuda}" --threads "${THREADS:-4}" \
  --cell lstm --embedding 32 --hidden 256 256 \
  --batch "${BATCH:-512}" --seq "${SEQ:-128}" --lr "${LR:-2e-3}" --warmup 200 \
  --minutes "$MINUTES" --eval-every "${EVAL_EVERY:-1000}" --log-every 100 \
  --valid-limit "${VALID_LIMIT:-60000}" "${init[@]}" 2>&1 | tee -a "$OUT/train.log"
# the optimizer state stays here: only weights travel back
"$P" - "$OUT/run" <<'PY'
import os, sys, torch
sys.path.insert(0, "training")
from train import load_checkpoint
run = sys.argv[1]
ck = load_checkpoint(os.path.join(run, "best.pt"))
print("gpu-run: best.pt valid %.4f bpc (mean over v2/valid, %s chars per file), step %d"
      % (ck["card"]["metrics"]["validBpc"], os.environ.get("VALID_LIMIT", "60000"),
         ck["card"]["training"]["steps"]))
PY
echo "gpu-run: done in $(( $(date +%s) - t0 )) s; bring back $OUT/run/best.pt (and last.pt to resume)"
