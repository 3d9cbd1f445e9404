"""One film's complete result, made by one call that every front-end shares.

>>> result = analyse(predictor, load("chest.dcm"))
>>> result.status, result.prediction.label, result.ctr      # ("ok", "no cardiomegaly", CardiothoracicRatio(...))
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from cardioview.anatomy.cardiothoracic_ratio import CardiothoracicRatio
from cardioview.errors import CardioViewError
from cardioview.imaging.loader import load
from cardioview.imaging.xray import XRay
from cardioview.model.prediction import Prediction

log = logging.getLogger("cardioview.results")


@dataclass(frozen=True, eq=False)
class FilmResult:
    """What the analysis of one film says, as every output shows it.

    Attributes:
        xray: the film.
        prediction: the model's result with the film's applicability attached (not applicable: no verdict).
        reader_ctr: the CTR of the reader's calipers (the viewer), None when there are none.
        reader_calipers: the reader's calipers decide the CTR (the viewer: ``reader_ctr``, none once removed);
            False (predict, the listener): the segmenter's, where the model applies.
        comparison: the change since the patient's prior study (comparison.change.Change, issue 23), an
            optional section of the report and the SR; None without a prior.
    """

    xray: XRay
    prediction: Prediction
    reader_ctr: CardiothoracicRatio | None = None
    reader_calipers: bool = False
    comparison: object | None = None

    @property
    def source(self) -> Path:
        return Path(self.xray.source)

    @property
    def status(self) -> str:
        """ "ok" (a verdict) or "unsuitable" (the model does not apply; :attr:`reason` says why)."""
        return "ok" if self.prediction.applicable else "unsuitable"

    @property
    def reason(self) -> str:
        return self.prediction.not_applicable

    @property
    def anatomy(self):
        """The heart/lung segmentation (an AnatomyResult), None without a segmenter."""
        return self.prediction.anatomy

    @property
    def automatic_ctr(self) -> CardiothoracicRatio | None:
        """The segmenter's CTR with its calipers, None when there is none (no segmenter, check failed)."""
        anatomy = self.anatomy
        return anatomy.measurement if anatomy is not None and anatomy.ctr is not None else None

    @property
    def ctr(self) -> CardiothoracicRatio | None:
        """The CTR the report and the SR state: the reader's calipers (the viewer), else the segmenter's
        where the model applies."""
        if self.reader_calipers:
            return self.reader_ctr
        return self.automatic_ctr if self.prediction.applicable else None

    @property
    def warnings(self) -> tuple[str, ...]:
        """The film's and the model's warnings, why there is no automatic CTR, and the CTR's own caveats."""
        anatomy = self.anatomy
        if anatomy is None:
            return tuple(self.prediction.warnings)
        missing = () if anatomy.ctr is not None else (f"no CTR: {anatomy.reason}",)
        return (*self.prediction.warnings, *missing, *anatomy.warnings)

    def with_reader_ctr(self, ctr: CardiothoracicRatio | None) -> FilmResult:
        """This result as the reader sees it: ``ctr`` from their calipers, None when they removed them."""
        return replace(self, reader_ctr=ctr, reader_calipers=True)

    def with_comparison(self, comparison) -> FilmResult:
        """This result with the change since the prior study (None: no prior)."""
        return replace(self, comparison=comparison)


@dataclass(frozen=True)
class FilmFailure:
    """A film that gave no result: where it was and why (one line, the file named)."""

    source: Path
    reason: str


def judged(prediction: Prediction, xray: XRay) -> FilmResult:
    """The result of a prediction made elsewhere (the viewer's worker), judged against its film."""
    return FilmResult(xray, prediction if prediction.not_applicable else prediction.for_xray(xray))


def analyse(predictor, xray: XRay) -> FilmResult:
    """Run the model (and the segmenter) on ``xray`` and judge the result against the film.

    Raises:
        CardioViewError: pixels the predictor refuses (constant, NaN...).
    """
    return FilmResult(xray, predictor.predict(xray).for_xray(xray))


def analyse_file(predictor, path: Path) -> FilmResult | FilmFailure:
    """Load and analyse one file; never raises: an unreadable or refused film is a FilmFailure."""
    try:
        return analyse(predictor, load(path))
    except CardioViewError as exc:
        return FilmFailure(Path(path), str(exc))
    except Exception as exc:  # a decoder or model failure costs this film a row, not the run
        log.debug("unexpected failure", exc_info=True)
        return FilmFailure(Path(path), unexpected_reason(Path(path), exc))


def unexpected_reason(path: Path, exc: BaseException) -> str:
    """The error cell of an unexpected failure: the file named, the exception in one line (no traceback)."""
    return f"{short_name(path)}: unexpected {type(exc).__name__}: {exc}"


def short_name(path: Path) -> str:
    """The file name as an error cell shows it (a too-long name is cut; the row's path has all of it)."""
    name = path.name or str(path)
    return name if len(name) <= 160 else name[:150] + "..."
