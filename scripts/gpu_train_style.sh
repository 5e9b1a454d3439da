#!/usr/bin/env bash
# Train the fusion-style decoder on the lent GPU machine, which has JAX and no TensorFlow
# (docs/training.md, "On a GPU"). Prepare here with `make gpu-pack` (runs/pack and .whl), then
# run this there from the repository root, carrying runs/pack and .whl:
#   bash scripts/gpu_train_style.sh OUT_DIR [python -m gan_style.train style flags...]
# It installs the carried wheels (Keras and what it needs that the machine lacks) into /tmp/site
# and trains on Keras' JAX backend from the pack (core.training.fit_stateless), without the style
# metrics (they need TensorFlow): evaluate the checkpoint here afterwards.
set -euo pipefail
out=$1
shift
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH="/tmp/site:$PWD" KERAS_BACKEND=jax GAN_STYLE_HED_WEIGHTS="$PWD/runs/pack/encoder.h5"
python3 -m gan_style.train style --out "$out" --pictures "" --content-dir runs/pack/content \
  --style-dir runs/pack/style --no-evaluate --precision auto "$@"
