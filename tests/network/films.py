"""Real chest films for the network tests: pydicom-data's RG1_UNCR and downsized copies of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import generate_uid


def rg1_uncr() -> Path:
    from pydicom.data import get_testdata_file

    return Path(get_testdata_file("RG1_UNCR.dcm"))


def downsized_copy(
    source: Path, target: Path, factor: int = 4, series_uid: str | None = None, sop_uid: str | None = None, **changes
) -> Path:
    """The same film at 1/``factor`` per side (plain subsampling), new SOP Instance (and Series) UID."""
    ds = pydicom.dcmread(source)
    pixels = np.ascontiguousarray(ds.pixel_array[::factor, ::factor])
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = pixels.tobytes()
    if "PixelSpacing" in ds:
        ds.PixelSpacing = [float(v) * factor for v in ds.PixelSpacing]
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.SOPInstanceUID = sop_uid or generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    for key, value in changes.items():
        setattr(ds, key, value)
    ds.save_as(target, enforce_file_format=True)
    return target


#: Transfer syntax UID -> how the test film in it is made: a dcmtk command (input, output appended) or pydicom.
_DCMTK_MAKERS = {
    "1.2.840.10008.1.2": ["dcmconv", "+ti"],
    "1.2.840.10008.1.2.2": ["dcmconv", "+tb"],
    "1.2.840.10008.1.2.1.99": ["dcmconv", "+td"],
    "1.2.840.10008.1.2.4.50": ["dcmcjpeg", "+eb"],
    "1.2.840.10008.1.2.4.57": ["dcmcjpeg", "+el"],
    "1.2.840.10008.1.2.4.70": ["dcmcjpeg", "+e1"],
    "1.2.840.10008.1.2.4.80": ["dcmcjpls"],
    "1.2.840.10008.1.2.4.81": ["dcmcjpls", "+en"],
    "1.2.840.10008.1.2.5": ["dcmcrle"],
}


def films_in_every_syntax(folder: Path, factor: int = 4) -> dict[str, Path]:
    """RG1_UNCR (1/``factor`` per side, a new SOP Instance each) in each transfer syntax the listener accepts.

    dcmtk makes the JPEG, JPEG-LS, RLE, deflated and other uncompressed files; pydicom (OpenJPEG) the JPEG 2000
    ones; JPEG extended (.51) is made from the 8-bit baseline film (12-bit extended needs a GPL decoder).
    """
    import shutil
    import subprocess

    missing = [tool for tool in ("dcmconv", "dcmcjpeg", "dcmcjpls", "dcmcrle", "dcmdjpeg") if not shutil.which(tool)]
    if missing:
        import pytest

        pytest.skip(f"dcmtk's {', '.join(missing)} not installed (Debian: apt-get install dcmtk)")
    folder.mkdir(parents=True, exist_ok=True)

    def fresh(name: str) -> Path:
        return downsized_copy(rg1_uncr(), folder / f"{name}_src.dcm", factor=factor)

    films = {"1.2.840.10008.1.2.1": fresh("explicit_le")}
    for uid, command in _DCMTK_MAKERS.items():
        target = folder / f"{uid}.dcm"
        subprocess.run([*command, str(fresh(uid)), str(target)], check=True, capture_output=True, timeout=120)
        films[uid] = target
    eight_bit = folder / "eight_bit.dcm"
    subprocess.run(
        ["dcmdjpeg", str(films["1.2.840.10008.1.2.4.50"]), str(eight_bit)], check=True, capture_output=True, timeout=120
    )
    eight_bit = downsized_copy(eight_bit, folder / "eight_bit_new_uid.dcm", factor=1)
    films["1.2.840.10008.1.2.4.51"] = folder / "1.2.840.10008.1.2.4.51.dcm"
    subprocess.run(
        ["dcmcjpeg", "+ee", str(eight_bit), str(films["1.2.840.10008.1.2.4.51"])],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for uid, options in (("1.2.840.10008.1.2.4.90", {}), ("1.2.840.10008.1.2.4.91", {"j2k_cr": [20]})):
        ds = pydicom.dcmread(fresh(uid))
        ds.compress(uid, **options)
        ds.save_as(folder / f"{uid}.dcm", enforce_file_format=True)
        films[uid] = folder / f"{uid}.dcm"
    return films
