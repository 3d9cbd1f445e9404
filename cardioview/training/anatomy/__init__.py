"""The heart/lung segmenter: its data, augmentation, training, evaluation, bundle, card and CTR fusion study."""
