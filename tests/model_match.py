"""Two models alike layer by layer: what the chapter writes out against the library builder."""

import keras


def layer_config(layer) -> dict:
    """A layer's (or an optimizer's) full config but its auto-generated name."""
    return {key: value for key, value in layer.get_config().items() if key != "name"}


def assert_same_layers(a: keras.Model, b: keras.Model) -> None:
    """Same inputs, layer classes in order, per-layer config (all but the name), parameters."""
    assert [tuple(t.shape) for t in a.inputs] == [tuple(t.shape) for t in b.inputs]
    assert [type(layer) for layer in a.layers] == [type(layer) for layer in b.layers]
    for mine, theirs in zip(a.layers, b.layers, strict=True):
        assert layer_config(mine) == layer_config(theirs), (
            f"{type(mine).__name__} {mine.name!r} differs from {theirs.name!r}"
        )
    assert a.output_shape == b.output_shape
    assert a.count_params() == b.count_params()


def assert_same_compile(a: keras.Model, b: keras.Model) -> None:
    """The same optimizer (class and config but its name) and the same loss."""
    assert type(a.optimizer) is type(b.optimizer)
    assert layer_config(a.optimizer) == layer_config(b.optimizer)
    assert a.loss == b.loss
