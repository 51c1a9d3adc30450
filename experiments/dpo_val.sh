#!/usr/bin/env bash
# Issue 15: DPO's beta and CE anchor chosen on the val split (seed 0), before experiments/shop_dpo.yaml.
# Needs runs/shop_algos from `learec run --config experiments/shop_lea_rewards.yaml` (data, LE labels and
# the CE policy of seed 0, DPO's reference). Writes runs/dpo_val/<pairs>-b<beta>-c<ce_weight>/metrics.json;
# `python experiments/dpo_val_table.py runs/dpo_val` prints the val table.
set -euo pipefail
run=runs/shop_algos
labels=$(ls -d "$run"/labels/*/ | head -1)
for pairs in logged le; do
  extra=()
  [ "$pairs" = le ] && extra=(--labels "$labels")
  for beta in 0.1 1.0; do
    for ce in 0.0 1.0; do
      learec train --config experiments/shop_dpo.yaml --data "$run/data" --out "runs/dpo_val/$pairs-b$beta-c$ce" \
        --force --algo dpo --train-seed 0 --train-dpo-pairs "$pairs" --train-dpo-beta "$beta" \
        --train-dpo-ce-weight "$ce" --train-dpo-reference "$run/models/ce-base-gru4rec-s0/policy" "${extra[@]}"
    done
  done
done
