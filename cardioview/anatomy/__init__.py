"""Heart and lung anatomy: value types, the cardiothoracic ratio from masks, the quality check (numpy only)."""

from cardioview.anatomy.result import AnatomyResult, CtrMeasurement
from cardioview.anatomy.ctr import measure_ctr
from cardioview.anatomy.quality import assess

__all__ = ["AnatomyResult", "CtrMeasurement", "measure_ctr", "assess"]
