"""Analysis-menu actions of issue 23: Compare with prior (C), Trend of this patient (T), Fetch priors from PACS.

``install_compare_actions(actions, menu)`` is the only hook the menus need.
"""

from __future__ import annotations

from pathlib import Path

from cardioview.comparison.films import FilmRecord, film_from, prior_of
from cardioview.gui.patient_films import FilmAnalyser, PatientFilms


class ComparisonActions:
    def __init__(self, actions, menu):
        self.actions, self.window = actions, actions.w
        self.patient_films = PatientFilms(self.window)
        self.analyser = FilmAnalyser(self.window)
        self.compare_window = None
        self.trend_window = None
        menu.addSeparator()
        self.compare_action = actions._action("Compare with prior", "C", self.compare_with_prior, menu)
        self.trend_action = actions._action("Trend of this patient", "T", self.show_trend, menu)
        from cardioview.gui.prior_fetch import (
            PriorFetcher,  # issue 23: priors from the PACS
        )

        self.fetcher = PriorFetcher(self)
        self.fetch_action = actions._action("Fetch priors from PACS", "Shift+C", self.fetcher.fetch_for_current, menu)

    # -- the film on screen --------------------------------------------------------
    def _current(self) -> tuple[FilmRecord, list[FilmRecord]] | None:
        """The film on screen and its patient's open films, or None (with a message why)."""
        w = self.window
        xray, key = w.state.current_xray, w.state.current_key
        if xray is None or key is None:
            w.notifier.warn("Open a film first")
            return None
        self.patient_films.remember(key, xray.metadata)
        films = self.patient_films.films_of(xray.metadata)
        if not films:
            w.notifier.warn(
                f"{xray.name}: no patient or study date in this file (a picture file?): it has no prior and no trend"
            )
            return None
        current = next((f for f in films if f.key == key), None)
        if current is None:  # a later frame of a multi-frame file
            current = film_from(xray.metadata, Path(xray.source), w.state.prediction(key), key)
        return current, films

    def compare_with_prior(self):
        """Open the most recent earlier study of the patient beside the film on screen (or any other, picked)."""
        found = self._current()
        if found is None:
            return None
        current, films = found
        others = sorted(
            (f for f in films if f.key != current.key and f.study_uid != current.study_uid),
            key=lambda f: f.when,
            reverse=True,
        )
        if not others:
            hint = " (Shift+C fetches earlier studies from the PACS)" if self.fetcher.node() is not None else ""
            self.window.notifier.warn(f"No other study of this patient is open{hint}")
            return None
        prior = prior_of(current, others) or others[0]
        from cardioview.gui.compare_view import CompareWindow

        if self.compare_window is not None:
            self.compare_window.close()
        self.compare_window = CompareWindow(self, current, others, prior)
        self._place(self.compare_window)
        return self.compare_window

    def show_trend(self):
        """Plot every open study of the patient; films without a result are analysed first."""
        found = self._current()
        if found is None:
            return None
        current, films = found
        for film in films:
            if film.key not in self.window.state.predictions:
                self.analyser.load(film.key, film.path)
        meta = self.window.state.current_xray.metadata
        from cardioview.gui.trend_view import TrendWindow

        if self.trend_window is not None:
            self.trend_window.close()
        label = meta.patient_name.replace("^", " ").strip() or current.patient
        self.trend_window = TrendWindow(self, label, lambda: self.patient_films.films_of(meta))
        self._place(self.trend_window)
        return self.trend_window

    def change_for(self, key: str | None, path: str | Path | None = None):
        """The Change of film ``key`` since its prior among the patient's analysed films, for its report and SR;
        None without one (or for a film that names no patient). GUI thread only (it reads the browser)."""
        from cardioview.comparison.change import compare

        if key is None:
            return None
        films = self.patient_films.films_of(self.patient_films.header(key, path or key))
        film = next((f for f in films if f.key == key), None)
        analysed = [f for f in films if f.key in self.window.state.predictions]
        prior = prior_of(film, analysed) if film is not None else None
        return compare(film, prior) if prior is not None else None

    def _place(self, dialog) -> None:
        """Non-modal, most of the main window's area (the main window stays usable)."""
        geometry = self.window.geometry()
        dialog.resize(int(geometry.width() * 0.95), int(geometry.height() * 0.9))
        dialog.show()
        dialog.raise_()


def install_compare_actions(actions, menu) -> ComparisonActions:
    return ComparisonActions(actions, menu)
