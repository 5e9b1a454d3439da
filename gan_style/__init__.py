"""gan-style: GAN-based image style transfer with anomaly detection and correction.

Keras 3 on TensorFlow. Importing this package does no work: models, data and checkpoints are
loaded by the functions that need them.
"""

__version__ = "0.1.0"
