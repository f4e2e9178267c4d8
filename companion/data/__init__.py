"""Data sets: MNIST (real, or the shipped sample), and more as chapters need them."""

from companion.data.mnist import MnistData, load_mnist, read_mnist

__all__ = ["MnistData", "load_mnist", "read_mnist"]

from companion.data.covid import (  # noqa: E402
    covid_description,
    load_covid_csv,
    synthetic_covid,
    write_covid_csv,
)

__all__ += ["covid_description", "load_covid_csv", "synthetic_covid", "write_covid_csv"]

from companion.data.playground import (  # noqa: E402
    PlaygroundData,
    feature_columns,
    ordered_dataset,
    playground_dataset,
)

__all__ += ["PlaygroundData", "feature_columns", "ordered_dataset", "playground_dataset"]
