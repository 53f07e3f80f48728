"""Conversion cost: a 1,000-line function converts well under a second, and the cost grows
linearly. Generous bounds (CPU time, best of 3) so that a busy machine does not fail it;
`benchmarks/line_ratio.py` prints the actual figures."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

import line_ratio  # noqa: E402

from autotrace.convert import converter  # noqa: E402


def _best_cpu_seconds(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        converter._convert_code(fn)
        best = min(best, time.process_time() - start)
    return best


def test_conversion_is_fast_and_linear(tmp_path):
    small, n_small = line_ratio.synthetic_function(250, str(tmp_path))
    large, n_large = line_ratio.synthetic_function(1000, str(tmp_path))
    t_small, t_large = _best_cpu_seconds(small), _best_cpu_seconds(large)
    assert t_large < 1.5, f"{n_large} lines took {t_large:.2f} s"
    assert t_large / n_large < 2.5 * t_small / n_small, (t_small, t_large)


def test_corpus_code_is_within_three_times_the_source():
    ratio = line_ratio.corpus_ratio(show=False)
    assert ratio <= 3
