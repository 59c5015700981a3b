"""The ML package's default settings, in one place: the project's settings take their
defaults from here, so that a number is written once (and importing it is cheap)."""

# Distorted copies per load_digits training image: the full setting. Real
# handwriting gained about half a point from 20 to 50 (docs/training.md).
AUGMENTATION_FACTOR = 50
# Times each corrected drawing counts when retraining with history: about as
# much as one load_digits image with its distorted copies.
HISTORY_REPEAT = 10
# Largest image side accepted, from a client or a data set's folder.
MAX_IMAGE_SIDE = 2048
