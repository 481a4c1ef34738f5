"""Maintenance: logistic regression's fitted parameters against scikit-learn's and Newton's method
on the formulas, on the data sets the project ships, unpenalized and with L2.

For each case it prints the largest absolute difference of the parameters ``[w..., b]``:
the engine's own Newton's method (Hessian by autodiff, ``fit(..., "newton")``, both engines)
against scikit-learn's ``LogisticRegression`` (``C=np.inf`` without a penalty, ``C = 1 / (2 n l2)``
with one: its objective ``C * sum BCE + |w|^2 / 2`` is ours, ``mean BCE + l2 |w|^2``, times
``n C``) and against :func:`tinygrad_lr.logistic.irls`. ``tests/test_logistic.py`` asserts the
same to 1e-6 and 1e-10. Needs scikit-learn (``pip install scikit-learn``)::

    python tools/logistic_vs_sklearn.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CASES = [  # (file, features or None for all, l2)
    ("exam_results.csv", None, 0.0),
    ("exam_results.csv", None, 0.05),
    ("iris_versicolor_virginica.csv", ["petal_length", "petal_width"], 0.0),
    ("iris_versicolor_virginica.csv", None, 0.0),
    ("iris_versicolor_virginica.csv", None, 0.01),
]


def main() -> int:
    try:
        import sklearn
        from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    except ImportError:
        print("scikit-learn is not installed: pip install scikit-learn", file=sys.stderr)
        return 1
    from tinygrad_lr import LogisticRegression, fit, load_csv
    from tinygrad_lr.logistic import irls

    print(f"scikit-learn {sklearn.__version__}, solver newton-cholesky, tol 1e-12")
    print(
        f"{'data set':<32} {'features':<26} {'l2':>5} {'C':>6}  {'|ours - sklearn|':>16} "
        f"{'|ours - IRLS|':>14} {'|IRLS - sklearn|':>16}"
    )
    for name, features, l2 in CASES:
        d = load_csv(ROOT / "examples" / "data" / name, features=features)
        C = np.inf if l2 == 0 else 1.0 / (2 * d.n_samples * l2)
        sk = SkLogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(d.X, d.y)
        theirs = np.concatenate([sk.coef_.ravel(), sk.intercept_])
        answer = irls(d.X, d.y, l2=l2).param_vector()
        vs_sk = vs_irls = 0.0
        for engine in ("value", "tensor"):
            m = LogisticRegression(d.n_features, engine=engine)
            fit(m, d, "newton", epochs=12, l2=l2)
            vs_sk = max(vs_sk, float(np.max(np.abs(m.param_vector() - theirs))))
            vs_irls = max(vs_irls, float(np.max(np.abs(m.param_vector() - answer))))
        print(
            f"{name:<32} {','.join(features) if features else 'all':<26} {l2:>5g} {C:>6.3g}  {vs_sk:>16.2e} "
            f"{vs_irls:>14.2e} {float(np.max(np.abs(answer - theirs))):>16.2e}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
