"""Scale-free figures of the attention map W (issue 3, section 4), measured on real images.

(a) relative spread (p90 - p10) / p90 of W: near 0 = flat;
(b) plausibility against the cardiac region (the median NIH cardiomegaly box):
    share of W's mass inside the region / the region's share of the image
    (1.0 = no preference), and the pointing game (peak of the upsampled W inside);
(c) faithfulness (deletion test): replacing the top-20 % attention area with the
    image mean lowers P(cardiomegaly) more than replacing the same-shaped area
    moved to a random place; also at other area shares, and with the area blurred
    instead of flattened (an operator no training term uses).
Per-image box localisation is in :mod:`cardioview.training.evaluation.box_localisation`.
"""

from __future__ import annotations

import numpy as np

from cardioview.render.overlay import upsample_attention

#: Median NIH cardiomegaly box of BBox_List_2017 (146 boxes), normalised (x0, y0, x1, y1).
CARDIAC_REGION = (0.34, 0.38, 0.81, 0.745)
DELETION_SHARE = 0.20
#: Area shares of the deletion test reported beside the 20 % one: ``--attention-deletion``
#: trains on the 20 % operator, so these check that the effect is not tied to it.
OTHER_DELETION_SHARES = (0.10, 0.30)
#: Gaussian sigma of the blurred deletion, as a share of the image width (8 px at 128 px): it wipes
#: out edges such as the cardiac border but keeps the local brightness the flat fill removes.
BLUR_SIGMA_SHARE = 1 / 16


def upsample(attention: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Feature-resolution W -> (H, W) with the viewer's interpolation (bicubic, clipped to [0, 1])."""
    return upsample_attention(attention, shape)


def relative_spread(attention: np.ndarray) -> float:
    """(p90 - p10) / p90 of the map's values; 0 for a flat or all-zero map."""
    p10, p90 = np.percentile(np.asarray(attention, dtype=np.float64), [10, 90])
    return float((p90 - p10) / p90) if p90 > 0 else 0.0


def region_mask(shape: tuple[int, int], region=CARDIAC_REGION) -> np.ndarray:
    h, w = shape
    x0, y0, x1, y1 = region
    mask = np.zeros(shape, dtype=bool)
    mask[int(round(y0 * h)) : int(round(y1 * h)), int(round(x0 * w)) : int(round(x1 * w))] = True
    return mask


def mass_ratio(upsampled: np.ndarray, mask: np.ndarray) -> float:
    """(share of the map's mass inside ``mask``) / (mask's share of the image); 1.0 = no preference."""
    total = float(upsampled.sum())
    if total <= 0:
        return 1.0
    return float(upsampled[mask].sum() / total / mask.mean())


def points_inside(upsampled: np.ndarray, mask: np.ndarray) -> bool:
    """Pointing game: is the (first) maximum of the map inside the mask?"""
    return bool(mask.flat[int(np.argmax(upsampled))])


def top_mask(upsampled: np.ndarray, share: float = DELETION_SHARE) -> np.ndarray:
    """The ``share`` of pixels with the highest attention (ties broken by position, exactly share x N pixels)."""
    n = int(round(share * upsampled.size))
    order = np.argsort(-upsampled, axis=None, kind="stable")[:n]
    mask = np.zeros(upsampled.size, dtype=bool)
    mask[order] = True
    return mask.reshape(upsampled.shape)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def blurred(gray: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(gray.astype(np.float32), (0, 0), max(1.0, BLUR_SIGMA_SHARE * gray.shape[1]))


def deletion_inputs(
    gray: np.ndarray,
    upsampled: np.ndarray,
    rng: np.random.Generator,
    share: float = DELETION_SHARE,
    random_draws: int = 3,
    blur: bool = False,
) -> list[np.ndarray]:
    """[top-area deleted, then ``random_draws`` copies with the same-shaped area rolled to random places].

    Deleting = setting the pixels to the image's mean (``blur``: to a blurred copy of the image).

    Args:
        upsampled: the map at the image's size (:func:`upsample`).
        share: the share of the image deleted.
    """
    mask = top_mask(upsampled, share)
    fill = blurred(gray) if blur else float(gray.mean())
    out = [np.where(mask, fill, gray).astype(np.float32)]
    h, w = gray.shape
    for _ in range(random_draws):
        moved = np.roll(mask, (int(rng.integers(0, h)), int(rng.integers(0, w))), axis=(0, 1))
        out.append(np.where(moved, fill, gray).astype(np.float32))
    return out


def summarise(values: list[float]) -> dict:
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return {"n": 0}
    return {
        "n": int(v.size),
        "mean": float(v.mean()),
        "median": float(np.median(v)),
        "p10": float(np.percentile(v, 10)),
        "p90": float(np.percentile(v, 90)),
    }


def attention_figures(grays: list[np.ndarray], maps: np.ndarray, probability_fn, seed: int = 0) -> dict:
    """The three figures over a set of (cardiomegaly) images.

    Args:
        grays: float32 (H, W) network inputs, one per image.
        maps: (N, h, w) attention maps of those inputs.
        probability_fn: (N, H, W) float inputs -> (N,) calibrated probabilities.
        seed: for the random placements of the deletion test.

    Returns:
        dict with relative_spread, mass_ratio (summaries), pointing_rate,
        faithfulness_rate and the mean probability drops; faithfulness_by_share adds the
        deletion test at OTHER_DELETION_SHARES, faithfulness_blurred the 20 % one with a blur.
    """
    rng = np.random.default_rng(seed)
    spreads, ratios, hits, drop_top, drop_rand, w_ranges = [], [], [], [], [], []
    blur_top, blur_rand = [], []
    # (share, blur) of each deletion test; the first is the headline figure
    variants = (
        [(DELETION_SHARE, False)] + [(share, False) for share in OTHER_DELETION_SHARES] + [(DELETION_SHARE, True)]
    )
    faithful_at = {variant: [] for variant in variants}
    for gray, w in zip(grays, maps):
        up = upsample(w, gray.shape)
        mask = region_mask(gray.shape)
        spreads.append(relative_spread(w))
        ratios.append(mass_ratio(up, mask))
        hits.append(points_inside(up, mask))
        w_ranges.append((float(w.min()), float(w.max())))
        inputs = [deletion_inputs(gray, up, rng, share, blur=blur) for share, blur in variants]
        p = probability_fn(np.stack([gray] + [x for group in inputs for x in group]))
        # one row per variant: the P drop with the top area deleted, then with each random placement
        drops = p[0] - p[1:].reshape(len(variants), -1)
        for row, variant in zip(drops, variants):
            faithful_at[variant].append(row[0] > np.mean(row[1:]))
        drop_top.append(float(drops[0, 0]))
        drop_rand.append(float(np.mean(drops[0, 1:])))
        blur_top.append(float(drops[-1, 0]))
        blur_rand.append(float(np.mean(drops[-1, 1:])))
    faithful = faithful_at.pop((DELETION_SHARE, False))
    faithful_blurred = faithful_at.pop((DELETION_SHARE, True))
    return {
        "images": len(grays),
        "relative_spread": summarise(spreads),
        "mass_ratio": summarise(ratios),
        "pointing_rate": float(np.mean(hits)) if hits else None,
        "faithfulness_rate": float(np.mean(faithful)) if faithful else None,
        "faithfulness_by_share": {f"{share:.2f}": float(np.mean(v)) for (share, _), v in faithful_at.items() if v},
        "faithfulness_blurred": float(np.mean(faithful_blurred)) if faithful_blurred else None,
        "probability_drop_top20": summarise(drop_top),
        "probability_drop_random": summarise(drop_rand),
        "probability_drop_top20_blurred": summarise(blur_top),
        "probability_drop_random_blurred": summarise(blur_rand),
        "w_min": summarise([r[0] for r in w_ranges]),
        "w_max": summarise([r[1] for r in w_ranges]),
        "cardiac_region": list(CARDIAC_REGION),
        "definitions": {
            "relative_spread": "(p90 - p10) / p90 of W at feature resolution; median over images",
            "mass_ratio": "share of upsampled W inside the cardiac region / region's share of the image",
            "pointing_rate": "share of images whose upsampled-W peak lies in the cardiac region",
            "faithfulness_rate": "share of images where deleting the top-20% attention area (set to the image "
            "mean) lowers P more than deleting the same-shaped area at random places (mean of 3)",
            "faithfulness_blurred": "the same with the area replaced by the image blurred (Gaussian sigma 1/16 of "
            "its width) instead of its mean",
        },
    }
