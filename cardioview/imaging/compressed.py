"""Compressed pixel data: check the codestream, then decode it in the worker.

What ``load`` runs for every encapsulated transfer syntax, so the viewer,
``predict`` and the self-test share it. Native data is decoded in-process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import UID

from cardioview.errors import ImageLoadError, MissingDecoderError
from cardioview.imaging.budget import check_decoded_bytes, check_pixel_budget
from cardioview.imaging.codestream import (
    JPEG,
    check_against_header,
    codec_family,
    first_fragment,
    read_frame_header,
)
from cardioview.imaging.decode_worker import pixel_dataset, shared_worker
from cardioview.imaging.dicom_codecs import describe_syntax, missing_decoder_reason
from cardioview.imaging.raster_header import check_jpeg_data


def decode_compressed(path: Path, ds: Dataset, uid: UID, pixel_budget: int, index: int = 0) -> tuple[np.ndarray, str]:
    """Frame ``index`` (default the first) of encapsulated pixel data, decoded safely.

    Raises:
        ImageLoadError: the codestream disagrees with the header, the decoder
            failed or crashed (the worker is restarted), or it timed out.
        ImageTooLargeError: the codestream's own size is over the budget.
        MissingDecoderError: every installed plugin refused this variant.
    """
    family = codec_family(uid)
    if family is not None:
        found = read_frame_header(path, family, first_fragment(path, ds.PixelData))
        if found.rows and found.columns:
            check_pixel_budget(path, found.rows, found.columns, 1, pixel_budget)
        check_against_header(path, ds, found)
        if family == JPEG:
            check_jpeg_data(path, found, len(ds.PixelData), "pixel data")
    check_decoded_bytes(path, ds)
    name = family or uid.name
    result = shared_worker().decode(pixel_dataset(ds), index)
    if isinstance(result, tuple):
        frame, photometric = result
        if tuple(frame.shape[:2]) != (int(ds.Rows), int(ds.Columns)):
            raise ImageLoadError(
                path,
                f"the {name} decoder returned {frame.shape[1]}x{frame.shape[0]} px, "
                f"not the {int(ds.Columns)}x{int(ds.Rows)} the header declares",
            )
        return frame, photometric
    if result.kind == "crashed":
        raise ImageLoadError(
            path, f"the {name} decoder crashed on this file ({result.detail}); the file is corrupt or forged"
        )
    if result.kind == "panic":
        raise ImageLoadError(path, f"the {name} decoder failed on this file (internal error: {result.detail})")
    if result.kind == "timeout":
        raise ImageLoadError(path, f"the {name} decoder did not finish ({result.detail}); gave up on this file")
    # Every installed plugin refused a variant (e.g. 12-bit JPEG Extended,
    # which only the GPL pylibjpeg-libjpeg decodes): a plugin gap, not corruption.
    if result.missing_dependencies:
        raise MissingDecoderError(path, missing_decoder_reason(uid, result.detail))
    raise ImageLoadError(path, f"could not decode {describe_syntax(uid)} pixel data: {result.detail}")
