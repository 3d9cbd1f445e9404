"""Training the classifier: data layouts and splits, augmentation, the loop, loss terms, calibration, refits."""
