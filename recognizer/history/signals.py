"""What the history announces to the layers above it, which it never imports.

`labels_given` is sent once labels are committed, with ``label`` (the label
given, None when cleared) and ``count`` (how many drawings got it). Automatic
retraining and promotion listen (connected in `RecognizerConfig.ready`).
"""

from django.dispatch import Signal

labels_given = Signal()
