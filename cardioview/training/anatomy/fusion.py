"""CTR as a second signal on cxr128: AUROC of the CTR alone and of a logistic fusion with P(cardiomegaly).

``python -m cardioview.training.anatomy.fusion --val VAL.csv --test TEST.csv --out DIR``
(VAL/TEST: path,label lists of the classifier's own split). The cxr128 films are
128 px and equalised: the segmenter sees them upsampled to its input size and the
CTR is measured on masks resampled to 512 px.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

from cardioview.atomic import atomic_write_text
from cardioview.imaging.loader import load
from cardioview.inference.anatomy_runner import AnatomyRunner
from cardioview.inference.predictor import Predictor
from cardioview.training.evaluation.metrics import auroc, bootstrap_auroc_ci


def score(rows: list[dict], predictor: Predictor, runner: AnatomyRunner) -> list[dict]:
    out = []
    for r in rows:
        xray = load(r["path"])
        p = predictor.predict(xray).probability
        res = runner.segment(xray)  # the CTR exactly as the viewer shows it
        out.append(
            {"path": r["path"], "label": int(r["label"]), "probability": p, "ctr": res.ctr, "reason": res.reason}
        )
    return out


def _features(rows, fill: float) -> np.ndarray:
    p = np.clip([r["probability"] for r in rows], 1e-6, 1 - 1e-6)
    c = np.array([fill if r["ctr"] is None else r["ctr"] for r in rows])
    return np.column_stack([np.log(p / (1 - p)), c])


def figures(val: list[dict], test: list[dict]) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    fill = float(np.median([r["ctr"] for r in val if r["ctr"] is not None]))  # QC failures get val's median CTR
    xv, xt = _features(val, fill), _features(test, fill)
    yv, yt = np.array([r["label"] for r in val]), np.array([r["label"] for r in test])
    lr = LogisticRegression().fit(xv, yv)
    cv = cross_val_predict(LogisticRegression(), xv, yv, cv=5, method="predict_proba")[:, 1]
    fused_t = lr.predict_proba(xt)[:, 1]

    def fig(y, s):
        return {"auroc": auroc(y, s), "ci95": list(bootstrap_auroc_ci(y, s))}

    return {
        "ctr_missing_filled_with": fill,
        "qc_failed": {"val": sum(r["ctr"] is None for r in val), "test": sum(r["ctr"] is None for r in test)},
        "val": {
            "n": len(val),
            "classifier": fig(yv, xv[:, 0]),
            "ctr": fig(yv, xv[:, 1]),
            "fusion_5fold_cv": fig(yv, cv),
        },
        "test": {"n": len(test), "classifier": fig(yt, xt[:, 0]), "ctr": fig(yt, xt[:, 1]), "fusion": fig(yt, fused_t)},
        "fusion_model": {
            "features": ["logit P(cardiomegaly)", "CTR"],
            "coef": lr.coef_[0].tolist(),
            "intercept": float(lr.intercept_[0]),
        },
    }


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--val", type=Path, required=True)
    p.add_argument("--test", type=Path, required=True)
    p.add_argument("--weights", default=None)
    p.add_argument("--anatomy-weights", default="weights/cxr_anatomy")
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args(argv)
    predictor = Predictor(a.weights, anatomy=False)
    runner = AnatomyRunner(a.anatomy_weights)
    val, test = score(_read(a.val), predictor, runner), score(_read(a.test), predictor, runner)
    figs = figures(val, test)
    figs["classifier_model"], figs["segmenter_model"] = predictor.model_id, runner.model_id
    a.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(a.out / "fusion.json", json.dumps(figs, indent=2) + "\n", overwrite=True)
    atomic_write_text(a.out / "scores.json", json.dumps({"val": val, "test": test}) + "\n", overwrite=True)
    print(json.dumps(figs, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
