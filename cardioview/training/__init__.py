"""Training and evaluation: data layouts, splits, the training loop, metrics, calibration and the bundle writer.

Imports torch (with ``model``); the viewer path never imports this package.
"""
