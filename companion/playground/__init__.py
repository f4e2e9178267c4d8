"""TensorFlow Playground in Keras: the net, its fast many-epoch loop, boundaries, curves.

`model` (the Playground's net and loss), `fastfit` (a compiled loop that runs many epochs
per call), `boundary` (decision boundaries and their animation), `curves` (reading loss
curves), `handbuilt` (nets from given weights), `one_pass` (a probed pass of SGD). The
names of the former module `companion.playground` are importable from here.
"""

from companion.playground.fastfit import fast_fit
from companion.playground.model import (
    ACTIVATIONS,
    OUTPUTS,
    PLAYGROUND_LEARNING_RATE,
    PlaygroundFeatures,
    classification_accuracy,
    half_squared_error,
    playground_model,
    predict_points,
    reinitialize,
    restart_from,
)

__all__ = [
    "ACTIVATIONS", "OUTPUTS", "PLAYGROUND_LEARNING_RATE", "PlaygroundFeatures",
    "classification_accuracy", "fast_fit", "half_squared_error", "playground_model",
    "predict_points", "reinitialize", "restart_from",
]  # fmt: skip
