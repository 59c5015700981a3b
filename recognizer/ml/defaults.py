"""The ML package's default settings, in one place: the project's settings take their
defaults from here, so that a number is written once (and importing it is cheap)."""

# Distorted copies per load_digits training image: the full setting, measured
# as the point past which more copies gain little.
AUGMENTATION_FACTOR = 20
# Times each corrected drawing counts when retraining with history: about as
# much as one load_digits image with its distorted copies.
HISTORY_REPEAT = 10
# Largest image side accepted, from a client or a data set's folder.
MAX_IMAGE_SIDE = 2048
