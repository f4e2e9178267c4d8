"""4A: the coverage counts, their shares of the centre's, and a text that follows them."""

import json

import numpy as np
import pandas as pd
import pytest

from chapters import ch4_cnn
from chapters.ch4_cnn.p4a_padding import PaddingResult, text_4a, weight_words, zero_padding


def test_counts_and_shares_of_the_runs_filter():
    r = zero_padding()  # 8×8 patches on a 20×20 image, as the run uses
    assert r.positions == {"valid": 169, "same": 400}  # 13×13 patches, one per pixel
    assert r.counts("valid") == {"corner": 1, "edge": 8, "centre": 64}
    assert r.counts("same") == {"corner": 16, "edge": 32, "centre": 64}
    assert r.shares("same") == pytest.approx({"corner": 0.25, "edge": 0.5})
    assert r.shares("valid")["corner"] == pytest.approx(1 / 64)
    assert (r.shrink("valid"), r.shrink("same")) == (2, 0)  # pixels lost per 3×3 layer
    assert r.real_share == pytest.approx(25 / 64)  # 5×5 real pixels in the 8×8 corner patch
    assert r.border_verdict == weight_words(0.25)


def test_text_prints_the_counts_and_shares_it_reads():
    r = zero_padding()
    text = text_4a(r)
    for number in ("13×13 = 169", "400", "1.6%", "25%", "50%", "16×", "39%", "2.4×"):
        assert number in text, number
    assert r.border_verdict in text
    assert str(r.coverage_same[-1, -1]) in text  # the bottom-right corner, more padding there


def made_up(corner: int, centre: int = 64) -> PaddingResult:
    """A result whose padded corner is seen by `corner` patches and the centre by `centre`."""
    same = np.full((20, 20), centre)
    same[0, :] = same[:, 0] = (corner + centre) // 2
    same[0, 0] = corner
    valid = np.ones((20, 20), dtype=int)
    valid[10, 10] = centre
    stack = pd.DataFrame({"layers": [1, 2], "valid": [26, 24], "same": [28, 28]})
    return PaddingResult(20, 8, valid, same, stack)


@pytest.mark.parametrize(
    ("corner", "share", "verdict"),
    [
        (16, "25%", weight_words(0.25)),
        (40, "62%", weight_words(0.6)),
        (60, "94%", weight_words(0.95)),
    ],
)
def test_border_verdict_follows_the_corner_share(corner, share, verdict):
    r = made_up(corner)
    assert r.border_verdict == verdict
    text = text_4a(r)
    assert verdict in text and share in text


def test_border_verdict_flips_between_made_up_results():
    verdicts = {made_up(c).border_verdict for c in (16, 40, 60)}
    assert len(verdicts) == 3  # under half, at least half, almost all: three readings
    assert weight_words(0.49) != weight_words(0.5) != weight_words(0.9)


def test_quick_run_records_the_counts(tmp_path):
    out = tmp_path / "run"
    assert ch4_cnn.main(["--quick", "--only", "4A", "--out", str(out)]) == 0
    a = json.loads((out / "summary.json").read_text())["problems"]["4A"]
    assert a["corner_coverage_valid"] == 1 and a["corner_coverage_same"] == 16
    assert a["coverage"]["same"] == {"corner": 16, "edge": 32, "centre": 64}
    assert a["share_of_centre"]["same"] == pytest.approx({"corner": 0.25, "edge": 0.5})
    assert a["border_verdict"] == zero_padding().border_verdict
    report = (out / "report.md").read_text()
    assert "25%" in report and a["border_verdict"] in report
