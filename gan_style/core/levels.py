"""Names of the encoder's feature levels (VGG16 relu1_1 .. relu4_1) and border paddings. Light (no
Keras): the trainers' configs validate them before TensorFlow is imported."""

LEVELS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")

# "zeros": VGG's own "same" padding (its weights were trained so); "reflect": each 3x3 convolution
# sees a mirrored border instead (as in the AdaIN paper's encoder): the zero border darkens the
# outer 8-16 px of every level, which a decoder trained on AdaIN'd features draws as a frame.
PADDINGS = ("zeros", "reflect")
