"""CardioView in a hospital's DICOM network, headless (no Qt).

- :mod:`nodes`: PACS node value type and its JSON store.
- :mod:`dimse`: C-ECHO, C-FIND, C-MOVE, C-GET, C-STORE (pynetdicom); :mod:`reactor`: a pynetdicom race worked around.
- :mod:`dicomweb`: QIDO-RS, WADO-RS, STOW-RS (dicomweb-client).
- :mod:`cache`: the size-bounded local cache retrieved studies land in.
- :mod:`listener`: the Storage SCP that triages films as they arrive, built from :mod:`contexts` (classes and
  transfer syntaxes accepted), :mod:`peers` (AE checks, allow list, TLS, guarded server), :mod:`inbox` (the
  durable queue in received/), :mod:`triage` (one film -> one row and its outputs, through cardioview/results)
  and :mod:`audit`. The DICOM Conformance Statement is docs/dicom-conformance.md.
"""
