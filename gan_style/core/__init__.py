"""Shared core: image I/O, data, losses, metrics, checkpoints and manifests, runtime, plots,
callbacks, custom layers, config dataclasses' manifest round trip and what every trainer shares. Imports no stage but to
register the shipped models' layers when a checkpoint is loaded (`checkpoints.load_model`)."""
