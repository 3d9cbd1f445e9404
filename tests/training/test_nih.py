"""The NIH ChestX-ray14 layout: labels, official test list, patient-wise validation."""

import pytest

from cardioview.training.classifier.data import DataError
from cardioview.training.classifier.nih import read_nih
from cardioview.training.classifier.run_split import split_data
from tests.conftest import CXR128, require_shared_data
from tests.training.nih_fixture import build_nih_fixture


@pytest.fixture
def nih_root(tmp_path):
    return build_nih_fixture(tmp_path / "ChestX-ray14", require_shared_data(CXR128))


def test_reads_cardiomegaly_vs_no_finding(nih_root):
    train_val, test = read_nih(nih_root)
    names = {s.path.name: (s.label, s.group) for s in train_val + test}
    assert names["00000001_001.png"] == (1, "1")  # cardiomegaly with another finding counts
    assert "00000002_001.png" not in names  # effusion only: neither class
    assert "00000009_000.png" not in names  # listed but missing on disk
    assert names["00000003_000.png"] == (0, "3")
    assert {s.path.name for s in test} == {
        "00000007_000.png",
        "00000007_001.png",
        "00000008_000.png",
        "00000008_001.png",
    }
    assert len(train_val) == 11


def test_split_uses_official_test_and_patient_wise_validation(nih_root):
    split = split_data(nih_root, val_fraction=0.34, seed=0)
    assert split.layout == "nih"
    assert {s.group for s in split.test} == {"7", "8"}
    assert {s.group for s in split.train}.isdisjoint({s.group for s in split.val})
    assert split.val and len({s.group for s in split.val}) == 2


def test_not_a_dataset_is_refused(tmp_path):
    (tmp_path / "x.png").write_bytes(b"")
    with pytest.raises(DataError, match="neither a folder with labels.csv nor an NIH"):
        split_data(tmp_path)
