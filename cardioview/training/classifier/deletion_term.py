"""Counterfactual deletion term (``--attention-deletion``): what W points at should be what P uses.

The deletion test (:mod:`cardioview.training.evaluation.attention_metrics`) asks whether
setting the top-20 % attention area of a cardiomegaly film to the image mean
lowers P more than setting the same-shaped area, moved to a random place, to
the mean. This term trains for exactly that contrast, in the spirit of the
attention-mining loss of GAIN (Li et al., CVPR 2018, "Tell me where to look"):
on up to a quarter of each batch's positive films it adds

    BCE(logit(film with its top-20 % W area deleted), 0)     # the evidence is gone
  + BCE(logit(film with that area rolled elsewhere deleted), 1)  # a blank patch alone is not evidence

The second half keeps the network from learning the shortcut "a blank patch
means healthy". The mask comes from the batch's own W, detached, so the term
teaches the classifier to rely on the attended region and does not move W
itself (the anatomy term does that). Only image-level labels enter it. It reads
whatever map the network shows, so it applies to the AMM's W and to GAP's
class activation map alike.

Because the term uses the test's own deletion operator, the card also reports
deletion at other area shares as a check that is not trained for.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cardioview.training.evaluation.attention_metrics import DELETION_SHARE


def top_area_masks(attention: torch.Tensor, size: int, share: float = DELETION_SHARE) -> torch.Tensor:
    """(N, 1, h, w) maps -> bool (N, 1, size, size): each map's ``share`` of highest upsampled pixels.

    Upsampled bicubically and clipped to [0, 1], as the viewer draws W.
    """
    up = F.interpolate(attention.detach().float(), size=(size, size), mode="bicubic", align_corners=False)
    flat = up.clamp_(0.0, 1.0).flatten(1)
    k = max(1, int(round(share * flat.shape[1])))
    top = flat.topk(k, dim=1).indices
    mask = torch.zeros_like(flat, dtype=torch.bool).scatter_(1, top, True)
    return mask.view(-1, 1, size, size)


def rolled_masks(masks: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each mask rolled (with wrap-around) by its own random offset, as the test's random placements."""
    n, _, h, w = masks.shape
    dy = torch.randint(0, h, (n,), generator=generator)
    dx = torch.randint(0, w, (n,), generator=generator)
    return torch.stack([torch.roll(m, (int(a), int(b)), dims=(-2, -1)) for m, a, b in zip(masks, dy, dx)])


def delete_area(gray: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Set the masked pixels of each (N, 1, H, W) image to that image's mean (the test's fill)."""
    fill = gray.mean(dim=(-2, -1), keepdim=True)
    return torch.where(masks, fill.expand_as(gray), gray)


def deletion_pairs(
    gray: torch.Tensor, attention: torch.Tensor, target: torch.Tensor, generator: torch.Generator, max_positives: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The counterfactual inputs of one batch, their targets and weights.

    A batch without a positive film gives one zero-weight pair, so every process
    runs the same passes under DistributedDataParallel.

    Args:
        gray: (N, 1, H, W) augmented batch in [0, 1] (before channel expansion).
        attention: (N, 1, h, w) the batch's maps (detached here).
        target: (N,) labels, 1 = cardiomegaly.
        max_positives: use at most this many positives (the term costs two extra images each).

    Returns:
        (inputs (2k, 1, H, W): k top-area deletions then k random-area deletions, targets (2k,), weights (2k,))
    """
    positives = torch.nonzero(target.view(-1) > 0.5).view(-1)[:max_positives]
    weight = 1.0
    if positives.numel() == 0:
        positives, weight = torch.zeros(1, dtype=torch.long, device=target.device), 0.0
    positives = positives.to(gray.device)
    g = gray[positives]
    top = top_area_masks(attention[positives], g.shape[-1])
    inputs = torch.cat([delete_area(g, top), delete_area(g, rolled_masks(top, generator))])
    k = positives.numel()
    targets = torch.cat([torch.zeros(k), torch.ones(k)]).to(gray.device)
    return inputs, targets, torch.full((2 * k,), weight, device=gray.device)


def deletion_loss(logit: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted BCE of the counterfactual logits (fp32)."""
    return F.binary_cross_entropy_with_logits(logit.float().view(-1), targets, weight=weights)
