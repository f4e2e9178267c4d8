"""Problem 2A: the versions of Python and the libraries, the Keras backend and its devices."""

from __future__ import annotations

from dataclasses import dataclass

from companion.run.env import backend_report, library_versions
from companion.run.markdown import markdown_table
from companion.run.runner import Context, Section


@dataclass
class Environment:
    """What problem 2A reports."""

    versions: dict[str, str | None]
    backend: str
    devices: list[str]


def environment() -> Environment:
    """Problem 2A: the versions of Python and the libraries, the backend and its devices."""
    report = backend_report()
    return Environment(
        library_versions(), str(report["keras_backend"]), list(report.get("devices", []))
    )


def text_2a(env: Environment, figures: dict[str, str] | None = None) -> str:
    """Problem 2A's Markdown: a table of versions and the devices."""
    rows = [{"package": name, "version": v or "not installed"} for name, v in env.versions.items()]
    rows.append({"package": "Keras backend", "version": env.backend})
    return (
        "The set asks for the framework's version numbers. This run used:\n\n"
        + markdown_table(rows)
        + f"\nDevices the backend sees: {', '.join(env.devices) or 'none reported'}."
    )


def run_2a(ctx: Context) -> Section:
    """Problem 2A: report the versions and devices of this run."""
    env = environment()
    headline = f"Keras {env.versions.get('keras')} on {env.backend}, {len(env.devices)} device(s)"
    results = {"versions": env.versions, "keras_backend": env.backend, "devices": env.devices}
    return Section(text_2a(env), results, headline)
