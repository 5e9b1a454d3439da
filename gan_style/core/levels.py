"""Names of the encoder's feature levels (VGG16 relu1_1 .. relu4_1). Light (no Keras): the
trainers' configs validate level names with it before TensorFlow is imported."""

LEVELS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
