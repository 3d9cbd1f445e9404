"""The shipped bundle's preprocessing gives a full-size film the probability its training thumbnail gets.

On the NIH films of ../shared/data/nih-boxes whose ``cxr128_match`` is the same film in cxr128 (training
films: this pins the preprocessing, not the model's accuracy), and on a large 16-bit DICOM made from an
nih1024 film.
"""

import csv

import cv2
import numpy as np
import pytest

from cardioview.imaging import load
from cardioview.inference.predictor import Predictor
from cardioview.inference.preprocess import preprocess
from tests.conftest import CXR128, NIH1024, SHARED_DATA, require_shared_data
from tests.dicom_factory import write_dicom

NIH_BOXES = SHARED_DATA / "nih-boxes"


@pytest.fixture(scope="module")
def predictor(shipped_bundle):
    predictor = Predictor(shipped_bundle, backend="onnx", device="cpu", anatomy=False)
    assert predictor.spec.version == 2, "the shipped bundle should carry preprocessing version 2"
    return predictor


def test_full_size_films_score_as_their_thumbnails(predictor):
    require_shared_data(NIH_BOXES)
    require_shared_data(CXR128)
    rows = [r for r in csv.DictReader(open(NIH_BOXES / "boxes.csv", newline="")) if r["cxr128_match"]]
    assert len(rows) >= 85
    correlations, dps = [], []
    for row in rows:
        film, thumb = load(NIH_BOXES / "images" / row["image"]), load(CXR128 / row["cxr128_match"])
        a, b = preprocess(film.pixels, predictor.spec), preprocess(thumb.pixels, predictor.spec)
        correlations.append(np.corrcoef(a[0, 0].ravel(), b[0, 0].ravel())[0, 1])
        dps.append(predictor.predict(film).probability - predictor.predict(thumb).probability)
    assert np.median(correlations) >= 0.99
    assert np.median(np.abs(dps)) <= 0.01
    assert abs(np.mean(dps)) <= 0.02  # no drift in one direction either


@pytest.mark.parametrize("name", ["00000001_000.png", "00000002_000.png", "00000003_000.png"])
def test_large_16_bit_dicom_scores_as_its_1024_px_film(predictor, tmp_path, name):
    require_shared_data(NIH1024)
    path = NIH1024 / "images" / name  # a cardiomegaly film, a normal one and another finding
    film = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    # the detector's geometry: 2,500 x 2,048, 16-bit (a bicubic upsample keeps the film's content)
    large = cv2.resize(film.astype(np.float32), (2048, 2500), interpolation=cv2.INTER_CUBIC)
    stored = np.clip(np.rint(large * 257.0), 0, 65535).astype(np.uint16)
    dicom = write_dicom(tmp_path / "large.dcm", stored, bits_stored=16, view="PA")
    small, big = predictor.predict(load(path)), predictor.predict(load(dicom))
    assert big.input_size == small.input_size == (128, 128)
    assert abs(big.probability - small.probability) <= 0.02


def test_monochrome1_film_with_flat_padding_scores_as_the_film(predictor, tmp_path):
    """MONOCHROME1 padding stored as 0 displays white; trimmed, the film scores as without it."""
    require_shared_data(NIH1024)
    path = NIH1024 / "images" / "00000001_000.png"
    film = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    stored = ((255 - film.astype(np.uint16)) * 257).astype(np.uint16)
    padded = np.pad(stored, ((120, 60), (80, 40)), constant_values=0)
    dicom = write_dicom(tmp_path / "padded.dcm", padded, photometric="MONOCHROME1", view="PA")
    assert abs(predictor.predict(load(dicom)).probability - predictor.predict(load(path)).probability) <= 0.02
