"""Peak memory per decompression bomb, each loaded in a fresh subprocess, against the 2 GB limit.

The bombs are built from pydicom's own files (codestream SIZ/SOF/SOF55 edited,
a deflated dataset of zeros) plus 100 MP RGB images inside the pixel budget: a PNG,
an uncompressed RGB DICOM and a JPEG-baseline RGB DICOM.
Peak = max RSS of the loading process and of its decode worker
(resource.getrusage of children, after the worker is joined).

    python benchmarks/hostile_memory_benchmark.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import bench_common  # noqa: F401  (puts the repository on sys.path)
import numpy as np
from PIL import Image
from pydicom.data import get_testdata_file

from tests.imaging.hostile_files import edited, j2k_siz_bomb, jpeg_sof_bomb

LIMIT_MB = 2048
_CHILD = r"""
import json, resource, sys
from cardioview.imaging import load
from cardioview.imaging.decode_worker import shared_worker
try:
    load(sys.argv[1]); outcome = "loaded"
except Exception as exc:
    outcome = str(exc).split(": ", 1)[-1][:90]
shared_worker().close()
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across fork+exec, so it would report the parent's.
own = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"peak_kb": max(own, worker), "outcome": outcome}))
"""


def _bombs(tmp: Path) -> dict[str, Path]:
    bombs = {
        "j2k SIZ 65000x65000 (header 1024x256)": edited("JPEG2000.dcm", tmp / "j2k.dcm", j2k_siz_bomb),
        "JPEG-LS SOF55 30000x30000": edited(
            "JPEGLSNearLossless_16.dcm", tmp / "jls.dcm", lambda ds: jpeg_sof_bomb(ds, 30000, 30000)
        ),
        "JPEG SOF 65500x1024": edited(
            "SC_rgb_jpeg_dcmtk.dcm", tmp / "jpeg.dcm", lambda ds: jpeg_sof_bomb(ds, 65500, 1024)
        ),
    }
    raw = Path(get_testdata_file("image_dfl.dcm")).read_bytes()
    uid = b"1.2.840.10008.1.2.1.99"
    meta_end = raw.index(uid) + len(uid)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = b"".join(deflater.compress(bytes(1 << 20)) for _ in range(4800)) + deflater.flush()
    (tmp / "dfl.dcm").write_bytes(raw[:meta_end] + body)
    bombs[f"deflate {len(body) / 1e6:.1f} MB -> 4.8 GB"] = tmp / "dfl.dcm"
    ramp = np.linspace(0, 255, 10000, dtype=np.float32)
    rgb = np.stack([np.add.outer(ramp, ramp) / 2] * 3, axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(tmp / "rgb100mp.png", compress_level=1)
    bombs["PNG 10000x10000 RGB (100 MP)"] = tmp / "rgb100mp.png"
    bombs["DICOM 10000x10000 RGB, uncompressed"] = _rgb_dicom(rgb, tmp / "rgb100mp.dcm", jpeg=False)
    bombs["DICOM 10000x10000 RGB, JPEG baseline"] = _rgb_dicom(rgb, tmp / "rgb100mp_jpeg.dcm", jpeg=True)
    del rgb
    return bombs


def _rgb_dicom(rgb: np.ndarray, path: Path, jpeg: bool) -> Path:
    """A frontal chest DX secondary-capture-like RGB DICOM of ``rgb`` (native, or one JPEG baseline frame)."""
    import io

    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import ExplicitVRLittleEndian, JPEGBaseline8Bit, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # DX for presentation
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.Modality, ds.BodyPartExamined, ds.ViewPosition = "DX", "CHEST", "PA"
    ds.Rows, ds.Columns = rgb.shape[:2]
    ds.SamplesPerPixel, ds.PlanarConfiguration = 3, 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    if jpeg:
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=90)
        ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
        ds.PhotometricInterpretation = "YBR_FULL_422"
        ds.PixelData = encapsulate([buffer.getvalue()])
        ds["PixelData"].VR = "OB"
    else:
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.PhotometricInterpretation = "RGB"
        ds.PixelData = rgb.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bombs = _bombs(Path(tmp))
        print(f"{'file':40} {'size':>10} {'peak MB':>8}  within 2 GB  outcome")
        worst = 0.0
        for name, path in bombs.items():
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(path)],
                capture_output=True,
                text=True,
                cwd=bench_common.REPO,
                timeout=900,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            peak = result["peak_kb"] / 1024
            worst = max(worst, peak)
            print(
                f"{name:40} {path.stat().st_size:>10,} {peak:>8.0f}  {'yes' if peak < LIMIT_MB else 'NO':11}  "
                f"{result['outcome']}"
            )
        print(f"worst peak {worst:.0f} MB = {worst / LIMIT_MB:.2f} of the 2 GB limit")


if __name__ == "__main__":
    main()
