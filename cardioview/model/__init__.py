"""The Cardio-XAttentionNet (backbone + Attention Mapping Mechanism) and its weights bundle.

Only this package, ``training`` and the torch backend import torch.
"""
