#!/usr/bin/env python3
"""A run's learning curve as a markdown table, for training/RUNS.md.

    /usr/bin/python3 training/runs_table.py training/runs/default-v2 [--every N]

One row per evaluation in RUN_DIR/log.jsonl (every Nth, and always the last):
step, characters seen, hours of training (wall time, evaluations included),
train bpc since the last evaluation, the mean over each validation set and the
bpc of every file (columns named by the file, shortened).
"""

import argparse
import json
import os

SHORT = {
    "18f-blog": "18f", "digitalgov": "dgov", "gutenberg-20c": "gut20c",
    "hwu64-assistant-queries": "hwu64", "kubernetes-community": "k8s-com",
    "kubernetes-keps": "k8s-keps", "presidential-speeches-1900-1989": "pres<1990",
    "presidential-speeches-1990on": "pres≥1990", "python-peps": "peps",
    "sgd-dialogue": "sgd", "topical-chat": "topical", "the_man_in_the_brown_suit": "brown suit",
    "biden": "biden",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--every", type=int, default=1)
    args = ap.parse_args()
    recs = [json.loads(l) for l in open(os.path.join(args.run, "log.jsonl"), encoding="utf-8")]
    recs = [r for i, r in enumerate(recs) if i % args.every == 0 or i == len(recs) - 1]
    if not recs or "valid_files" not in recs[0]:
        raise SystemExit("%s: no per-file validation in log.jsonl" % args.run)
    sets = list(recs[0]["valid_files"])
    files = [(s, f) for s in sets for f in recs[0]["valid_files"][s]]
    head = (["step", "chars seen", "hours", "train"] + ["**%s mean**" % s for s in sets]
            + [SHORT.get(f[:-4], f[:-4]) for _, f in files])
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    for r in recs:
        row = [str(r["step"]), "%.1f M" % (r["train_chars"] / 1e6), "%.2f" % (r["elapsed_s"] / 3600),
               "%.3f" % r["train_bpc"]]
        row += ["**%.3f**" % r["valid_means"][s] for s in sets]
        row += ["%.3f" % r["valid_files"][s][f] for s, f in files]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
