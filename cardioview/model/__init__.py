"""The Cardio-XAttentionNet (backbone + Attention Mapping Mechanism), its weights bundle and its value types.

The value types (``PreprocessSpec``, the manifest's preprocessing; ``Prediction``, what the model said about one
film) live here, below ``inference`` and ``render``, which both use them. Only this package, ``training`` and the
torch backend import torch.
"""
