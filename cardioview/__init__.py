"""CardioView: cardiomegaly detection with an attention map on chest X-rays.

The package is split along one data path (see README):
``imaging`` loads files into :class:`~cardioview.imaging.xray.XRay`,
``inference`` turns an XRay into a :class:`~cardioview.model.prediction.Prediction`,
``render`` draws overlays and reports, ``gui`` is the Qt viewer.
``model`` and ``training`` hold the torch network and its trainer.
"""

__version__ = "0.1.0"
