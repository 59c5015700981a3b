"""Training versions: the data sets they learn from and are judged on, training and
registering one, and the challenger's evidence for promotion."""
