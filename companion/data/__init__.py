"""Data sets: MNIST (real, or the shipped sample), and more as chapters need them."""

from companion.data.mnist import MnistData, load_mnist, read_mnist

__all__ = ["MnistData", "load_mnist", "read_mnist"]
