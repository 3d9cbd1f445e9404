"""CardioView: cardiomegaly detection with an attention map on chest X-rays.

The package is split in layers (docs/architecture.md; tests/test_layers.py keeps them): ``imaging`` loads files
into an :class:`~cardioview.imaging.xray.XRay`; ``anatomy`` measures the heart and lungs (the CTR); ``model``
holds the network, its weights bundle and value types (:class:`~cardioview.model.prediction.Prediction`);
``render`` draws overlays and reports; ``inference`` turns an XRay into a Prediction; ``network`` speaks DICOM to
a PACS (results as DICOM objects, query/retrieve, the listener); ``training`` trains and evaluates; ``gui`` is the
Qt viewer. Commands (``cli.py``, ``*_cli.py``) sit on top.
"""

__version__ = "0.1.0"
