"""Comparison with prior studies (issue 23): a patient's films over time, headless.

- ``films``: FilmRecord (one analysed film's patient, date, view, P and CTR) and the prior of a film;
- ``change``: the change in CTR and P from the prior, with the AP/PA caution;
- ``trend``: trend rows and ``trend.csv``; ``pseudonym``: keyed patient pseudonyms for ``--deidentify``;
- ``plot``: the trend plot PNG (Pillow; no Qt, no matplotlib);
- ``predict_hook``: what ``cardioview predict`` calls after its results (trend.csv, trend/*.png).
"""
