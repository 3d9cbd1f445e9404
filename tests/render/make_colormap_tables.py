"""Regenerate cardioview/render/colormap_tables.py from OpenCV's built-in colormaps.

The viewer ships without OpenCV, so the tables are stored as constants; this
script (run from the repo root, OpenCV installed) writes them and
tests/render/test_colormaps.py checks the stored tables still equal OpenCV's.

    python -m tests.render.make_colormap_tables
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TARGET = Path(__file__).resolve().parents[2] / "cardioview" / "render" / "colormap_tables.py"
#: Stored names -> OpenCV constant names, in COLORMAPS order (perceptually uniform first).
CV2_NAMES = {
    "inferno": "COLORMAP_INFERNO",
    "viridis": "COLORMAP_VIRIDIS",
    "magma": "COLORMAP_MAGMA",
    "plasma": "COLORMAP_PLASMA",
    "cividis": "COLORMAP_CIVIDIS",
    "turbo": "COLORMAP_TURBO",
    "jet": "COLORMAP_JET",
}
_HEX_PER_LINE = 96  # 16 RGB entries


def cv2_lut(name: str) -> np.ndarray:
    """OpenCV's (256, 3) uint8 RGB table of a colormap (applyColorMap on a 0..255 ramp)."""
    import cv2

    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    bgr = cv2.applyColorMap(ramp, getattr(cv2, CV2_NAMES[name])).reshape(256, 3)
    return np.ascontiguousarray(bgr[:, ::-1])


def render_module() -> str:
    import cv2

    lines = [
        '"""Colormap lookup tables: 256 RGB rows each, hex-encoded (row i = colour of value i/255).',
        "",
        f"Generated from OpenCV {cv2.__version__}'s applyColorMap by tests/render/make_colormap_tables.py;",
        'do not edit by hand."""',
        "",
        "TABLES: dict[str, str] = {",
    ]
    for name in CV2_NAMES:
        text = cv2_lut(name).tobytes().hex()
        lines.append(f'    "{name}": (')
        lines += [f'        "{text[i : i + _HEX_PER_LINE]}"' for i in range(0, len(text), _HEX_PER_LINE)]
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render_module(), encoding="utf-8")
    print(f"wrote {TARGET}")
