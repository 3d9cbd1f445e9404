"""How pixels become a network input: the value the weights manifest records (see inference/preprocess.py).

It lives with the bundle that records it, so the model package needs nothing from inference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PreprocessSpec:
    """How pixels become a network input.

    Attributes:
        input_size: square side in pixels at training time (e.g. 224).
        equalize: histogram-equalise the 8-bit image first (the NIH cxr128
            training set was equalised, so a model trained on it needs this).
        channels: replicate gray to this many channels (3 for ImageNet backbones).
        version: 1 = equalise the full-size film then resize; 2 = the NIH thumbnail rendering
            (see inference/preprocess.py); a manifest without the field is version 1.
        clahe_clip: version 2's CLAHE clip limit (OpenCV's; 0.5-1.5 give the same result at 128 px).
        clahe_tiles: version 2's CLAHE tile grid (tiles x tiles).
    """

    input_size: int = 224
    equalize: bool = True
    channels: int = 3
    version: int = 1
    clahe_clip: float = 1.0
    clahe_tiles: int = 8

    @property
    def renders_thumbnail(self) -> bool:
        """Version 2 with equalisation: the NIH thumbnail rendering."""
        return self.version >= 2 and self.equalize

    def to_dict(self) -> dict:
        d = asdict(self)
        if self.version < 2:  # version 1 manifests keep their original fields
            for key in ("version", "clahe_clip", "clahe_tiles"):
                d.pop(key)
        d["steps"] = self.describe()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> PreprocessSpec:
        return cls(
            input_size=int(d["input_size"]),
            equalize=bool(d["equalize"]),
            channels=int(d.get("channels", 3)),
            version=int(d.get("version", 1)),
            clahe_clip=float(d.get("clahe_clip", 1.0)),
            clahe_tiles=int(d.get("clahe_tiles", 8)),
        )

    def describe(self) -> list[str]:
        """The steps in words, for the manifest and the model card."""
        steps = ["to 8-bit gray (display-ready, bright = dense)"]
        if self.renders_thumbnail:
            n = self.input_size
            return steps + [
                f"an image no larger than {n} px is a prepared thumbnail: equalised and resized as version 1; "
                "otherwise:",
                "trim flat bands at the film's brightest level off its edges (padding; at most a quarter "
                "of a side; black borders stay, as in NIH's films)",
                "squash to NIH's 1024x1024 geometry (area averaging when shrinking)",
                f"resize to {n}x{n} as cv2.resize INTER_LINEAR (no anti-aliasing; bit-exact)",
                f"CLAHE, {self.clahe_tiles}x{self.clahe_tiles} tiles, clip {self.clahe_clip:g} "
                "(as cv2.createCLAHE, bit-exact)",
                "global histogram equalisation (as cv2.equalizeHist, bit-exact; its lowest level, "
                "e.g. black borders, is left out of the histogram)",
                "min-max normalise to [0, 1]",
                f"replicate to {self.channels} channels, NCHW float32",
            ]
        if self.equalize:
            steps.append("histogram equalisation (as cv2.equalizeHist, bit-exact)")
        steps += [
            f"resize to {self.input_size}x{self.input_size} (area when shrinking, bilinear when enlarging)",
            "min-max normalise to [0, 1]",
            f"replicate to {self.channels} channels, NCHW float32",
        ]
        return steps
