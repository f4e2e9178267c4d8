"""The public surface: every advertised name resolves, and `import companion` stays light."""

import subprocess
import sys

import companion


def test_every_export_resolves():
    missing = [name for name in companion.__all__ if getattr(companion, name, None) is None]
    assert missing == []


def test_unknown_name_is_an_attribute_error():
    try:
        companion.no_such_thing  # noqa: B018
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_import_is_light():
    code = "import sys, companion; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
