"""Batched augmentation: identity when off, bounded, seeded, flips only when asked."""

import torch

from cardioview.training.classifier.augment import NO_AUGMENTATION, AugmentConfig, augment_batch


def _images():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (4, 32, 32), dtype=torch.uint8, generator=g)
    x[:, :, :8] = 255  # a bright left band makes flips visible
    return x


def test_no_augmentation_is_identity_at_same_size():
    x = _images()
    out = augment_batch(x, 32, NO_AUGMENTATION, None)
    assert out.shape == (4, 1, 32, 32)
    torch.testing.assert_close(out[:, 0], x.float() / 255)


def test_random_transform_is_bounded_and_seeded():
    x = _images()
    a = augment_batch(x, 24, AugmentConfig(), torch.Generator().manual_seed(1))
    b = augment_batch(x, 24, AugmentConfig(), torch.Generator().manual_seed(1))
    c = augment_batch(x, 24, AugmentConfig(), torch.Generator().manual_seed(2))
    assert a.shape == (4, 1, 24, 24) and a.min() >= 0 and a.max() <= 1
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)


def test_flip_only_when_configured():
    x = _images()
    no_geometry = AugmentConfig(shift=0, rotate_deg=0, shear_deg=0, zoom=0, brightness=0, contrast=0, hflip=0.0)
    kept = augment_batch(x, 32, no_geometry, torch.Generator().manual_seed(0))
    flipped = augment_batch(x, 32, AugmentConfig(0, 0, 0, 0, 0, 0, hflip=1.0), torch.Generator().manual_seed(0))
    assert kept[:, 0, :, :8].mean() > 0.99  # band still on the left
    torch.testing.assert_close(flipped[:, 0], torch.flip(x.float() / 255, dims=[-1]))


def test_maps_move_with_their_image_and_keep_no_intensity_change():
    from cardioview.training.classifier.augment import augment_with_maps

    x = _images()
    maps = (x.float() / 255.0 > 0.99).float()  # the bright band as a mask: it must stay on the band
    cfg = AugmentConfig(shift=0.1, rotate_deg=10, shear_deg=5, zoom=0.1, brightness=0.3, contrast=0.3)
    img, m = augment_with_maps(x, maps, 32, cfg, torch.Generator().manual_seed(3))
    only = augment_batch(x, 32, cfg, torch.Generator().manual_seed(3))
    torch.testing.assert_close(img, only)  # same draws with or without maps
    geometry_only = AugmentConfig(shift=0.1, rotate_deg=10, shear_deg=5, zoom=0.1, brightness=0, contrast=0)
    moved, _ = augment_with_maps(maps, None, 32, geometry_only, torch.Generator().manual_seed(3))
    torch.testing.assert_close(m, moved)  # the map had the image's geometry and nothing else
    assert m.shape == (4, 1, 32, 32) and 0.0 <= float(m.min()) and float(m.max()) <= 1.0
