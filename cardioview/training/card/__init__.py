"""Packaging a run: the weights bundle writer, MODEL_CARD.md and its tables, plots and contact sheet."""
