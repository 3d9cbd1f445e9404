"""Every file of a result: the PNG report, the DICOM SC + SR (+ SEG), the attention map, the masks.

``predict``, the listener and the viewer's exports all write through :class:`ResultWriter`, so the same
film gives the same report, the same SR figures (the CTR included) and the same objects everywhere.
Each file is written atomically and never over an existing one (``stem_1.png``... instead); ``private``
writes owner-only files in owner-only folders (the listener: its files name studies).

What a result's report says is decided once, in :meth:`ResultWriter.report_options`; the DICOM
encoders are :mod:`dicom_objects` (SC, SR) and :mod:`dicom_seg`.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from cardioview import __version__
from cardioview.atomic import atomic_write_bytes, unique_path
from cardioview.render.report import Report, build_report, write_report
from cardioview.render.report_options import ReportOptions
from cardioview.results.film_result import FilmResult


@dataclass(frozen=True)
class ResultWriter:
    """Writes the outputs of FilmResults.

    Attributes:
        opacity: heat-map opacity in the reports.
        deidentify: no patient or study lines in the reports; DICOM with placeholder Patient/Study.
        weights_sha256: the model weights' hash, recorded in the SR.
        private: files 0600 in folders 0700.
    """

    opacity: float = 0.2
    deidentify: bool = False
    weights_sha256: str = ""
    private: bool = False

    # -- the report ---------------------------------------------------------------------------
    def report_options(self, result: FilmResult, created: datetime | None = None, **style) -> ReportOptions:
        """The report's options for ``result``: this writer's opacity and de-identification, the result's CTR and
        comparison with the prior, and any of ReportOptions' fields in ``style`` (the viewer's colormap, window,
        threshold note...)."""
        settings = dict(
            opacity=self.opacity,
            deidentify=self.deidentify,
            ctr=result.ctr,
            app_version=__version__,
            created=created or datetime.now(UTC),
            comparison=result.comparison,
        )
        return ReportOptions(**{**settings, **style})

    def report(self, result: FilmResult, options: ReportOptions | None = None) -> Report:
        """The rendered report of ``result``; ``options`` default: :meth:`report_options`."""
        return build_report(result.xray, result.prediction, options or self.report_options(result))

    def write_report(self, result: FilmResult, folder: Path, stem: str, options=None, report=None) -> Path:
        """``folder/stem.png`` (or the next free name): the annotated report with its JSON metadata.

        Args:
            report: the report already rendered (e.g. for the DICOM SC too); rendered here when None.
        """
        report = report or self.report(result, options)
        return self.write_report_image(report, self.target(folder, stem, ".png"))

    def write_report_image(self, report: Report, target: Path) -> Path:
        """A rendered report to exactly ``target`` (FileExistsError when taken)."""
        return self._private(write_report(target, report.image, report.metadata))

    # -- DICOM --------------------------------------------------------------------------------
    def dicom_objects(self, result: FilmResult, created: datetime | None = None, report=None):
        """The SC (the same picture as the PNG report), the SR (probability, verdict, the result's CTR) and,
        on a DICOM film with anatomy, the SEG (dicom_objects.ResultObjects).

        Args:
            report: the PNG report already rendered for this result, reused as the SC's picture.
        """
        from cardioview.results.dicom_objects import build_results

        created = created or datetime.now(UTC)
        report = report or self.report(result, self.report_options(result, created))
        return build_results(
            result.xray,
            result.prediction,
            deidentify=self.deidentify,
            ctr=result.ctr,
            report_rgb=report.image,
            weights_sha256=self.weights_sha256,
            created=created,
            comparison=result.comparison,
        )

    def write_dicom(self, objects, folder: Path, stem: str) -> list[Path]:
        """``stem_sc.dcm``, ``stem_sr.dcm`` (and ``stem_seg.dcm``) in ``folder``, each at the next free name."""
        from cardioview.results.dicom_objects import dataset_bytes

        folder = self.folder(folder)
        return [
            self._write(self.target(folder, f"{stem}_{kind}", ".dcm"), dataset_bytes(ds))
            for kind, ds in (("sc", objects.sc), ("sr", objects.sr), ("seg", objects.seg))
            if ds is not None
        ]

    # -- arrays -------------------------------------------------------------------------------
    def write_attention(self, result: FilmResult, folder: Path, stem: str) -> Path:
        """The attention map W as float32 ``.npy`` at feature resolution."""
        buffer = io.BytesIO()
        np.save(buffer, result.prediction.attention.astype(np.float32))
        return self._write(self.target(folder, stem, ".npy"), buffer.getvalue())

    def write_masks(self, result: FilmResult, folder: Path, stem: str) -> list[Path]:
        """``stem_heart.png`` and ``stem_lungs.png`` (0/255, the film's own size); none without a segmentation."""
        anatomy = result.anatomy
        if anatomy is None:
            return []
        return [
            self._write(self.target(folder, f"{stem}_{name}", ".png"), _mask_png(anatomy.at_image_size(mask)))
            for name, mask in (("heart", anatomy.heart), ("lungs", anatomy.lungs))
        ]

    # -- files --------------------------------------------------------------------------------
    def folder(self, folder: Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self.private:
            os.chmod(folder, 0o700)
        return folder

    def target(self, folder: Path, stem: str, suffix: str) -> Path:
        """``folder/stem+suffix``, or the first free ``stem_N+suffix``."""
        return unique_path(self.folder(folder), stem, suffix=suffix)

    def _write(self, path: Path, data: bytes) -> Path:
        return self._private(atomic_write_bytes(path, data))

    def _private(self, path: Path) -> Path:
        if self.private:
            os.chmod(path, 0o600)
        return path


def _mask_png(mask: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()
