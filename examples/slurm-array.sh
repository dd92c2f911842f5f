#!/bin/sh
# resim availability as a Slurm array of 8 tasks, then the merge once all succeed:
#   jid=$(sbatch --parsable examples/slurm-array.sh)
#   sbatch --dependency=afterok:$jid --wrap 'resim merge results/shard-* --out results/merged'
#SBATCH --array=0-7
#SBATCH --job-name=resim-shards
resim availability models/web-app.toml --trials 80000 --seed 1 \
  --shard auto --out "results/shard-$SLURM_ARRAY_TASK_ID"
