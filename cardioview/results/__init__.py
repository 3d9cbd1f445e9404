"""The headless results layer under every front-end (predict, the listener, the viewer's exports).

- :mod:`film_result`: one call turns an XRay into a complete :class:`FilmResult` (applicability and its
  reason, probability and verdict, attention, anatomy and the CTR, warnings), or a failure with its reason.
- :mod:`results_csv`: the results.csv row of a result and the two ways it is written (a whole file, appends).
- :mod:`naming`: output file stems, one rule (shortened, or numbered when de-identifying).
- :mod:`writer`: every file of a result: the PNG report, the DICOM SC + SR (+ SEG), attention, masks;
  atomic, never over an existing file. The DICOM encoders: :mod:`dicom_objects` (Secondary Capture of the
  report, Structured Report) and :mod:`dicom_seg` (the heart/lung masks as a Segmentation), highdicom.

A new output format goes in the writer; a new front-end calls ``analyse_file``/``analyse`` and the writer.
"""
