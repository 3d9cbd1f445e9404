"""Training and evaluation, by concern (commands: ``cardioview train|evaluate|...``, ``python -m cardioview.training``).

- ``classifier``: data layouts and splits, augmentation, the training loop, loss terms, calibration, refits;
- ``evaluation``: metrics, evaluation runs, comparisons, attention and box-localisation figures;
- ``card``: the weights bundle writer, MODEL_CARD.md, its tables, plots and contact sheet;
- ``anatomy``: the heart/lung segmenter's training, evaluation and bundle.

Imports torch (with ``model``); the viewer path never imports this package.
"""
