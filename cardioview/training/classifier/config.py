"""Training configuration and the two recipes.

``paper`` repeats the paper (PAPER.md): Glorot init, SGD momentum 0.9, batch 16,
lr 1e-4, LR x0.3 after 15 epochs without validation improvement, early stop
after 40, class weights, shifts/rotations/shear/brightness/zoom/flips at 224 px.

``fast`` is what the shipped weights use on a CPU budget: AdamW with a warm-up
+ cosine ("one-cycle") schedule laid over the time budget, no flips, an
attention bias of -3 and a small penalty on mean W (so W does not saturate), and
progressive resizing (most of the budget at 128 px, the end at 224 px so the
model and its 7x7 attention map are tuned at the size inference uses).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from cardioview.training.classifier.augment import AugmentConfig

RECIPES = ("fast", "paper")
SELECTION_CRITERIA = ("val_loss", "val_auroc")


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run depends on; saved as config.json beside the checkpoints.

    Attributes:
        data: a labels.csv folder or an NIH ChestX-ray14 root.
        out: run folder (checkpoints, epochs.csv, split lists).
        recipe: "fast" or "paper" (see module docstring); sets the defaults below.
        backbone, head, dropout, attention_bias, output_stride: the network (model.NetworkConfig).
        input_size: training and inference size written to the manifest.
        low_res_size: progressive resizing: train at this size first (0 = off).
        low_res_fraction: share of the schedule spent at low_res_size.
        equalize: histogram-equalise inputs (preprocessing recorded in the manifest).
        batch_size: per process.
        optimizer: "adamw" or "sgd".
        lr, weight_decay, momentum: optimizer settings.
        schedule: "onecycle" (warm-up + cosine over the budget) or "plateau" (paper).
        warmup_fraction: one-cycle warm-up share.
        epochs: maximum epochs (one-cycle plans over this when no time budget is given).
        max_minutes: time budget; training stops cleanly within it (one-cycle then plans over time).
        select_by: what "best" means: "val_loss" (lowest) or "val_auroc" (highest).
        patience: early-stop patience in epochs (plateau schedule).
        plateau_patience, plateau_factor: LR reduction of the plateau schedule.
        attention_penalty: weight of mean(W) added to the loss (AMM only).
        attention_entropy, attention_tv: weights of the scale-free spatial entropy and
            total variation of W (AMM only; see training.attention_terms); 0 = off.
        attention_anatomy: weight of the BCE between W and the segmenter's heart mask on each
            training image (see training.heart_prior); with the GAP head, sigmoid(CAM) on the
            positive films only (its logit is the CAM's mean); 0 = off (weakly supervised).
        attention_deletion: weight of the counterfactual deletion term (see training.deletion_term):
            deleting the top-20 % W area of a positive film should remove the finding, deleting
            the same area elsewhere should not (either head: W or GAP's CAM); 0 = off.
        init_weights: start from these network weights (a bundle folder, hash-verified, or a
            .safetensors file) instead of Glorot initialisation, e.g. to fine-tune a shipped model.
        ema_decay: keep an exponential moving average of the weights with this per-step decay
            and validate/save it instead of the raw weights; 0 = off.
        label_smoothing: BCE target smoothing.
        class_weights: weight samples by N / (2 n_class) (the paper's class weights).
        augment: augmentation ranges.
        split: train/val/test fractions for a labels.csv folder.
        val_fraction: patient-wise validation share of NIH train_val.
        seed: seeds the split, initialisation, shuffling and augmentation.
        limit: use only this many images (a smoke test); 0 = all.
        threads: torch CPU threads (0 = torch's default).
        device: "auto", "cpu" or "cuda".
    """

    data: Path
    out: Path
    recipe: str = "fast"
    backbone: str = "densenet121"
    head: str = "amm"
    dropout: float = 0.5
    attention_bias: float = -3.0
    output_stride: int = 32
    input_size: int = 224
    low_res_size: int = 128
    low_res_fraction: float = 0.75
    equalize: bool = True
    batch_size: int = 32
    optimizer: str = "adamw"
    lr: float = 1e-3
    weight_decay: float = 1e-2
    momentum: float = 0.9
    schedule: str = "onecycle"
    warmup_fraction: float = 0.05
    epochs: int = 30
    max_minutes: float | None = None
    select_by: str = "val_loss"
    patience: int = 40
    plateau_patience: int = 15
    plateau_factor: float = 0.3
    attention_penalty: float = 0.05
    attention_entropy: float = 0.0
    attention_tv: float = 0.0
    attention_anatomy: float = 0.0
    attention_deletion: float = 0.0
    init_weights: str = ""
    ema_decay: float = 0.0
    label_smoothing: float = 0.0
    class_weights: bool = True
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    split: tuple[float, float, float] = (0.70, 0.15, 0.15)
    val_fraction: float = 0.10
    seed: int = 0
    limit: int = 0
    threads: int = 0
    device: str = "auto"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["data"], d["out"] = str(self.data), str(self.out)
        d["split"] = list(self.split)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        d = dict(d)
        d["data"], d["out"] = Path(d["data"]), Path(d["out"])
        d["augment"] = AugmentConfig(**d.get("augment", {}))
        d["split"] = tuple(d.get("split", (0.7, 0.15, 0.15)))
        return cls(**d)


def paper_recipe(cfg: TrainConfig) -> TrainConfig:
    """The paper's recipe on top of ``cfg`` (data, out, seed, limits and network choice kept)."""
    return replace(
        cfg,
        recipe="paper",
        attention_bias=0.0,
        input_size=224,
        low_res_size=0,
        batch_size=16,
        optimizer="sgd",
        lr=1e-4,
        momentum=0.9,
        weight_decay=0.0,
        schedule="plateau",
        patience=40,
        plateau_patience=15,
        plateau_factor=0.3,
        attention_penalty=0.0,
        attention_entropy=0.0,
        attention_tv=0.0,
        attention_anatomy=0.0,
        attention_deletion=0.0,
        ema_decay=0.0,
        label_smoothing=0.0,
        class_weights=True,
        augment=AugmentConfig(
            shift=0.1, rotate_deg=10.0, shear_deg=10.0, zoom=0.1, brightness=0.1, contrast=0.0, hflip=0.5
        ),
    )
