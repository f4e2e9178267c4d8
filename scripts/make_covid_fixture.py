"""Build companion/data/covid_fixture.csv: a small SYNTHETIC file in the CDC's CSV layout.

The rows come from `companion.data.covid.synthetic_covid` (invented rates, not CDC data);
only the layout is the CDC's: an unnamed index column, the header `cdc_case_earliest_dt `
with its trailing space, dates written 2020/11/10 and blank where unknown, and Yes / No /
Unknown / Missing in the `_yn` columns. The index holds sorted row numbers below 800,000,
as the problem set's subset does. Its first line, `# SYNTHETIC data: ...`, is the marker
`load_covid_csv` reads, so every report made from the file says it is synthetic. Tests and
`--csv` demos read it.

Usage: python scripts/make_covid_fixture.py [--rows 400] [--seed 2023]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere, without installing

from companion.data.covid import TARGET, synthetic_covid, write_covid_csv  # noqa: E402

TARGET_PATH = ROOT / "companion" / "data" / "covid_fixture.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args()
    frame = synthetic_covid(args.rows, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    frame.index = np.sort(rng.choice(800_000, size=len(frame), replace=False))
    write_covid_csv(frame, TARGET_PATH)
    known = frame[TARGET].isin(["Yes", "No"])
    deaths = int((frame[TARGET] == "Yes").sum())
    print(f"wrote {TARGET_PATH}: {len(frame)} rows, {known.sum()} with Yes/No, {deaths} deaths")


if __name__ == "__main__":
    main()
