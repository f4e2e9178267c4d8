"""The grader: hold a model of your own to a problem's rules and bar.

    verdict = companion.check(model, "4F")        # or a .keras path; data= for full MNIST
    print(verdict)                                # a short table: each rule, measured, needed
    verdict.passed, verdict.broken, verdict.to_dict()

    python -m companion.grade my_cnn.keras --problem 4F --mnist mnist.npz [--json]

Every rule is checked and reported (not only the first broken one), each broken rule with
its fix. The rules and bars come from `companion.pset`; a bar passed by the caller is named
as the caller's and compared with the set's. `.keras` files load in Keras' safe mode, so no
code from the file runs. Names load on first use: importing this package loads no Keras.
"""

from __future__ import annotations

from companion.run.lazy import lazy_exports, public_names

_MODULES = {
    "grader": ["PROBLEMS", "check", "load_model_file"],
    "usage": ["ModelFileError", "UnknownProblemError"],
    "verdict": ["Bar", "Rule", "Verdict"],
}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
__all__ = public_names(_MODULES)
