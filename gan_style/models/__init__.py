"""Networks, one module per model; each exposes a `build_*` function returning a functional model."""
