"""CardioView in a hospital's DICOM network, headless (no Qt).

- :mod:`dicom_results`: the results as DICOM (Secondary Capture of the report, Structured Report).
- :mod:`nodes`: PACS node value type and its JSON store.
- :mod:`dimse`: C-ECHO, C-FIND, C-MOVE, C-GET, C-STORE (pynetdicom).
- :mod:`dicomweb`: QIDO-RS, WADO-RS, STOW-RS (dicomweb-client).
- :mod:`cache`: the size-bounded local cache retrieved studies land in.
- :mod:`listener`: the Storage SCP that triages films as they arrive.
"""
