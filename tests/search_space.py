"""A tiny hypermodel for the search tests: a 2 × 2 grid whose best point is clear."""

import keras


def build(hp):
    """Dense units × learning rate on flattened MNIST images (trains in about a second)."""
    units = hp.Choice("units", (4, 32))
    learning_rate = hp.Choice("learning_rate", (1e-4, 3e-3))
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def not_a_model(hp):
    """Returns something that is not a model (the command must refuse it)."""
    hp.Choice("units", (4, 32))
    return "a string"


# The search tests' command line: the grid above on 256 sample images, 1 epoch a trial.
TINY = ["--hypermodel", "tests.search_space:build", "--quick", "--images", "256"]
TINY += ["--val-images", "256"]
GRID = {(4, 1e-4), (4, 3e-3), (32, 1e-4), (32, 3e-3)}
