"""A PA/AP view estimator for evaluation (issue 19, item 4): not a product feature.

The cxr128 thumbnails (validation and test) carry no NIH id and so no view. The films with a known
view are few: the 96 nih-boxes films (45 PA / 51 AP, **all cardiomegaly**) and the 12 nih1024 films
(all PA, 3 cardiomegaly). A logistic regression on the shipped network's frozen backbone features learns
the view from them. Because every AP example is a cardiomegaly film, the features' cardiomegaly axes are
projected out first (directions fitted on training-split thumbnails with their cardiomegaly labels, no
view labels): otherwise "less cardiomegaly-like" reads as "AP" and cardiomegaly-free PA films are called AP.
Its accuracy is measured by cross-validation grouped by NIH patient, with the regularisation chosen
inside each training fold (nested).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

VIEWS = ("PA", "AP")
#: cardiomegaly directions projected out of the features, and the regularisation grid (inner CV picks C)
REMOVED_DIRECTIONS = 10
C_GRID = (0.01, 0.1, 1.0)


@dataclass(frozen=True)
class ViewFilm:
    """A film with a known view. ``patient`` is the NIH patient id (shared by nih-boxes and nih1024)."""

    path: Path
    view: str
    patient: str
    label: int
    source: str


def labelled_view_films(shared: Path) -> list[ViewFilm]:
    """The films of ``shared`` (../shared/data) whose view is known.

    A boxed film with a ``cxr128_match`` is taken as that thumbnail (the splits' own preparation);
    the others are the full-size films (the bundle's preprocessing renders them as thumbnails).
    """
    shared = Path(shared)
    films = []
    with open(shared / "nih-boxes" / "boxes.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            match = r.get("cxr128_match", "")
            path = shared / "cxr128" / match if match else shared / "nih-boxes" / "images" / r["image"]
            films.append(ViewFilm(path, r["view"].upper(), r["patient_id"], 1, "nih-boxes"))
    with open(shared / "nih1024" / "labels.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            films.append(
                ViewFilm(shared / "nih1024" / r["path"], r["view"].upper(), r["patient_id"], int(r["label"]), "nih1024")
            )
    return [film for film in films if film.view in VIEWS]


@dataclass
class CardiomegalyRemoval:
    """Standardise features, then remove the span of ``directions`` (k, K) (orthonormal, standardised space)."""

    mean: np.ndarray
    scale: np.ndarray
    directions: np.ndarray

    def apply(self, features: np.ndarray) -> np.ndarray:
        z = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        return z - (z @ self.directions.T) @ self.directions


def cardiomegaly_directions(
    features: np.ndarray, labels: np.ndarray, k: int = REMOVED_DIRECTIONS
) -> CardiomegalyRemoval:
    """The ``k`` feature directions that separate cardiomegaly, found one after another.

    Each is a regularised logistic regression's weight vector on what the earlier ones left.

    Args:
        features: (N, K) backbone features of training-split thumbnails (never validation or test).
        labels: their cardiomegaly labels (0/1).
    """
    mean, scale = features.mean(0), features.std(0) + 1e-6
    rest, directions = (features - mean) / scale, []
    for _ in range(k):
        w = LogisticRegression(C=0.01, max_iter=5000).fit(rest, labels).coef_[0]
        w = w / np.linalg.norm(w)
        directions.append(w)
        rest = rest - np.outer(rest @ w, w)
    return CardiomegalyRemoval(mean, scale, np.array(directions))


@dataclass
class ViewEstimator:
    """P(AP) from backbone features."""

    removal: CardiomegalyRemoval
    model: Pipeline
    C: float

    def ap_probability(self, features: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(self.removal.apply(features))[:, 1]

    def estimate(self, features: np.ndarray) -> np.ndarray:
        """The estimated view of each film: AP where P(AP) >= 0.5, else PA."""
        return np.where(self.ap_probability(features) >= 0.5, "AP", "PA")


def _pipeline(c: float) -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))


def _balanced_accuracy(is_ap: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean([np.mean(predicted[is_ap == v] == v) for v in (0, 1) if np.any(is_ap == v)]))


def fit_view_estimator(
    features: np.ndarray, views: np.ndarray, groups: np.ndarray, removal: CardiomegalyRemoval, folds: int = 4
) -> ViewEstimator:
    """Choose C on ``C_GRID`` by balanced accuracy in a grouped inner cross-validation, then fit on everything."""
    z, is_ap = removal.apply(features), (np.asarray(views) == "AP").astype(int)
    splits = list(GroupKFold(min(folds, len(set(groups)))).split(z, is_ap, groups))
    scores = {}
    for c in C_GRID:
        predicted = np.empty_like(is_ap)
        for fit, held in splits:
            predicted[held] = _pipeline(c).fit(z[fit], is_ap[fit]).predict(z[held])
        scores[c] = _balanced_accuracy(is_ap, predicted)
    best = max(C_GRID, key=lambda c: (scores[c], -c))  # ties to the stronger regularisation
    return ViewEstimator(removal, _pipeline(best).fit(z, is_ap), best)


def cross_validate(
    features: np.ndarray,
    views: np.ndarray,
    groups: np.ndarray,
    labels: np.ndarray,
    removal: CardiomegalyRemoval,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
) -> dict:
    """Accuracy of the estimator on held-out patients (nested: C is chosen inside each training fold).

    Returns:
        accuracy overall, per view, and on the cardiomegaly-free films (all PA: the confound check),
        each the mean over ``repeats`` shuffled grouped splits, with the films and patients counted.
    """
    views, groups, labels = np.asarray(views), np.asarray(groups), np.asarray(labels)
    per_repeat = []
    for r in range(repeats):
        estimated = np.empty(len(views), dtype=object)
        for fit, held in GroupKFold(folds, shuffle=True, random_state=seed + r).split(features, views, groups):
            estimator = fit_view_estimator(features[fit], views[fit], groups[fit], removal)
            estimated[held] = estimator.estimate(features[held])
        right = estimated == views
        per_repeat.append(
            [right.mean(), right[views == "PA"].mean(), right[views == "AP"].mean(), right[labels == 0].mean()]
        )
    mean = np.mean(per_repeat, 0)
    return {
        "films": int(len(views)),
        "patients": int(len(set(groups))),
        "films_per_view": {v: int((views == v).sum()) for v in VIEWS},
        "cardiomegaly_free_films": int((labels == 0).sum()),
        "cardiomegaly_free_patients": int(len(set(groups[labels == 0]))),
        "accuracy": float(mean[0]),
        "accuracy_range": [float(np.min(per_repeat, 0)[0]), float(np.max(per_repeat, 0)[0])],
        "accuracy_per_view": {"PA": float(mean[1]), "AP": float(mean[2])},
        "accuracy_cardiomegaly_free": float(mean[3]),
        "method": f"{folds}-fold cross-validation grouped by NIH patient, {repeats} shuffles; C chosen from "
        f"{list(C_GRID)} inside each training fold; {removal.directions.shape[0]} cardiomegaly directions removed",
    }
