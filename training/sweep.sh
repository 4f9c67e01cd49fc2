#!/usr/bin/env bash
# Architecture sweep for the model card: cells, hidden sizes, depth and embedding
# size, each trained from scratch (and one warm-started from the shipped model) on
# the default model's corpus with the same sampler and schedule, at equal training
# compute: a run's steps are STEPS x (851,907 / its parameters), so every row gets
# about the same multiply-adds (a recurrent step costs about 2 multiply-adds per
# parameter per character, forward, and twice that backward).
#
#   bash training/sweep.sh [STEPS] [THREADS]        # default 300 steps of 64 x 100 for 2x256
#
# Runs go to training/runs/sweep/NAME; the table (markdown) to training/runs/sweep/table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-300}
threads=${2:-1}
C=${CORPUS:-../shared/corpus}
out=training/runs/sweep
mkdir -p "$out"
P=/usr/bin/python3

# name  cell  embedding  hidden...  [init]
specs=(
  "lstm-2x256-e32 lstm 32 256 256"
  "gru-2x296-e32 gru 32 296 296"
  "cifg-2x296-e32 cifg 32 296 296"
  "lstm-1x448-e32 lstm 32 448"
  "lstm-3x200-e32 lstm 32 200 200 200"
  "lstm-2x192-e32 lstm 32 192 192"
  "lstm-2x384-e32 lstm 32 384 384"
  "lstm-2x256-e16 lstm 16 256 256"
  "lstm-2x256-e64 lstm 64 256 256"
  "lstm-2x256-e32-warm lstm 32 256 256 init"
)
for spec in "${specs[@]}"; do
  set -- $spec
  name=$1 cell=$2 emb=$3; shift 3
  init=()
  hidden=()
  for h in "$@"; do
    if [ "$h" = init ]; then init=(--init models/default); else hidden+=("$h"); fi
  done
  [ -f "$out/$name/done" ] && continue
  params=$($P -c "
import sys; sys.path.insert(0, 'training')
from nextkey_model import format_tensor_specs
import math
n = sum(math.prod(s) for _, s in format_tensor_specs('$cell', 99, $emb, [$(IFS=,; echo "${hidden[*]}")]))
print(n)")
  n=$(( steps * 851907 / params ))
  lr=3e-3
  [ ${#init[@]} -gt 0 ] && lr=2e-3
  echo "== $name: $params parameters, $n steps"
  $P training/train.py --train "$C/train" "$C/v2/train" --valid "$C/v2/valid" "$C/valid" \
    --out "$out/$name" --force --cell "$cell" --embedding "$emb" --hidden "${hidden[@]}" \
    --batch 64 --seq 100 --lr "$lr" --warmup 30 --steps "$n" --eval-every 100000 --log-every 100 \
    --threads "$threads" --valid-limit 30000 "${init[@]}" > "$out/$name.log" 2>&1
  echo "$params" > "$out/$name/done"
done

$P - "$out" "${specs[@]}" <<'PY'
import json, os, sys
out, specs = sys.argv[1], sys.argv[2:]
rows = ["| run | parameters | steps × 6,400 chars | train time (1 thread) | v2/valid mean bpc | brown suit | biden |",
        "|---|---:|---:|---:|---:|---:|---:|"]
for spec in specs:
    name = spec.split()[0]
    rec = [json.loads(l) for l in open(os.path.join(out, name, "log.jsonl"))][-1]
    params = int(open(os.path.join(out, name, "done")).read())
    files = {k: v for g in rec["valid_files"].values() for k, v in g.items()}
    v2 = [m for k, m in rec["valid_means"].items() if "v2" in k][0]
    rows.append("| %s | %s | %d | %.0f s | %.4f | %.4f | %.4f |" % (
        name, format(params, ","), rec["step"], rec["elapsed_s"] - rec["eval_s"], v2,
        files["the_man_in_the_brown_suit.txt"], files["biden.txt"]))
open(os.path.join(out, "table.md"), "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PY
