"""`python -m companion.grade MODEL.keras --problem 4F [--mnist PATH] [--json]`.

Exit status: 0 the model passes, 1 a rule is broken or a bar missed, 2 a usage error (a
missing or corrupt file, an unknown problem; argparse's own errors are 2 as well).
"""

from __future__ import annotations

import argparse
import json
import sys

import companion.grade as grade  # lazy: Keras loads only when a model is graded
from companion import pset
from companion.errors import CompanionError
from companion.grade.usage import existing_file, problem_key


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line's arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m companion.grade",
        description="Check a saved Keras model against a CS 155 set-4 problem's rules and bar.",
    )
    parser.add_argument("model", help="a .keras file (loaded in safe mode: no code runs)")
    known = ", ".join(pset.GRADED_PROBLEMS)
    parser.add_argument("--problem", required=True, help=f"one of {known}")
    parser.add_argument(
        "--mnist", help="full MNIST (.npz or IDX folder) for 3B-4F; default: the sample"
    )
    parser.add_argument("--csv", help="CDC COVID-19 cases for 2C; default: synthetic cases")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Grade one model file; print the verdict; return the exit status."""
    args = parse(argv)
    try:  # usage errors first, before Keras loads (seconds on a busy machine)
        problem, path = problem_key(args.problem), existing_file(args.model)
        data = args.csv if problem == "2C" else args.mnist
        verdict = grade.check(path, problem, data)
    except CompanionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(verdict.to_dict(), indent=2) if args.json else verdict)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
