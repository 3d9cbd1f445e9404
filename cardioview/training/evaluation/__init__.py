"""Measuring a classifier: metrics, evaluation runs, A/B comparisons, attention and box-localisation figures."""
