"""Heart and lung anatomy: the CTR value type, the CTR measured from masks, the quality check (numpy only)."""

from cardioview.anatomy.cardiothoracic_ratio import Caliper, CardiothoracicRatio
from cardioview.anatomy.mask_measurement import measure_ctr
from cardioview.anatomy.quality import assess
from cardioview.anatomy.result import AnatomyResult

__all__ = ["AnatomyResult", "Caliper", "CardiothoracicRatio", "measure_ctr", "assess"]
