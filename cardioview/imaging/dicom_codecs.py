"""Which pixel-data decoder a transfer syntax needs, and what to say when it is missing.

pydicom decodes native (uncompressed, deflated, RLE) data itself; compressed
syntaxes go through plugins. Only permissively licensed plugins ship with
CardioView (pylibjpeg-openjpeg, pylibjpeg-rle, pyjpegls, python-gdcm, pillow);
pylibjpeg-libjpeg is GPL-3.0 and is named in messages, never relied upon.
"""

from __future__ import annotations

from pathlib import Path

from pydicom.pixels import get_decoder
from pydicom.pixels.decoders.base import Decoder
from pydicom.uid import UID

from cardioview.errors import MissingDecoderError, UnsupportedImageError

_JPEG_LIBJPEG = "pylibjpeg + pylibjpeg-libjpeg (GPL-3.0, not bundled)"
_J2K = "pylibjpeg + pylibjpeg-openjpeg, pillow or python-gdcm"

#: PyPI packages that decode each compressed transfer syntax, for error messages.
DECODER_PACKAGES: dict[str, str] = {
    "1.2.840.10008.1.2.4.50": f"pillow or python-gdcm (or {_JPEG_LIBJPEG})",  # JPEG Baseline
    "1.2.840.10008.1.2.4.51": f"pillow or python-gdcm for 8-bit; 12-bit needs {_JPEG_LIBJPEG}",  # JPEG Extended
    "1.2.840.10008.1.2.4.57": f"python-gdcm (or {_JPEG_LIBJPEG})",  # JPEG Lossless P14
    "1.2.840.10008.1.2.4.70": f"python-gdcm (or {_JPEG_LIBJPEG})",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80": "pyjpegls or python-gdcm",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81": "pyjpegls or python-gdcm",  # JPEG-LS Near Lossless
    "1.2.840.10008.1.2.4.90": _J2K,  # JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91": _J2K,  # JPEG 2000
    "1.2.840.10008.1.2.4.201": "pylibjpeg + pylibjpeg-openjpeg",  # HTJ2K Lossless
    "1.2.840.10008.1.2.4.202": "pylibjpeg + pylibjpeg-openjpeg",  # HTJ2K Lossless RPCL
    "1.2.840.10008.1.2.4.203": "pylibjpeg + pylibjpeg-openjpeg",  # HTJ2K
    "1.2.840.10008.1.2.5": "pylibjpeg-rle (pydicom's own RLE decoder normally suffices)",
}


def describe_syntax(uid: UID) -> str:
    """'JPEG 2000 Image Compression (1.2.840.10008.1.2.4.91)'; the bare UID when unknown."""
    return f"{uid.name} ({uid})" if uid.name != str(uid) else f"unknown transfer syntax {uid}"


def decoder_for(path: str | Path, uid: UID) -> Decoder:
    """The pydicom decoder for ``uid``, checked to have a working plugin.

    Raises:
        UnsupportedImageError: no DICOM decoder exists for this syntax (private,
            unknown, or video syntaxes such as MPEG).
        MissingDecoderError: the syntax is known but none of its plugins is installed.
    """
    try:
        decoder = get_decoder(uid)
    except NotImplementedError:
        raise UnsupportedImageError(
            path, f"{describe_syntax(uid)}: no DICOM pixel decoder supports this transfer syntax"
        ) from None
    if not decoder.is_available:
        raise MissingDecoderError(path, missing_decoder_reason(uid))
    return decoder


def missing_decoder_reason(uid: UID, detail: str = "") -> str:
    """One line naming the syntax and the packages that would decode it."""
    packages = DECODER_PACKAGES.get(str(uid), "a pydicom pixel-data plugin for it")
    detail = f" ({detail})" if detail else ""
    return f"cannot decode {describe_syntax(uid)} pixel data{detail}; install {packages}"
