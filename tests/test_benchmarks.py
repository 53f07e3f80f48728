"""The benchmark suite runs (`--quick`: tiny sizes) and reports every workload. No timing
is asserted: the figures are for people, on a machine of their choosing."""

import json
import os
import subprocess
import sys

RUN = os.path.join(os.path.dirname(__file__), "..", "benchmarks", "run.py")
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7")


def test_quick_run_reports_every_workload(tmp_path):
    out = tmp_path / "result.json"
    env = {k: v for k, v in os.environ.items() if k != "AUTOTRACE_CHECK"}
    done = subprocess.run([sys.executable, RUN, "--quick", "--json", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    rows = result["rows"]
    assert {r["workload"] for r in rows} == set(WORKLOADS)
    table = [line for line in done.stdout.splitlines() if line.startswith("| W")]
    assert {line.split("|")[1].strip() for line in table} == set(WORKLOADS)
    assert len(table) == len(rows)
    assert result["threads"].startswith("BLAS threads: 1")
    for r in rows:
        assert r["value"] > 0, r
        if r["unit"] == "us" and r["ratio"] is None:  # call overhead: median difference
            low, high = r["spread"]
            assert low <= r["value"] <= high, r
        elif r["unit"] == "us":  # the median of per-round ratios to hand-written numpy
            low, high = r["spread"]
            assert 0 < low <= r["ratio"] <= high, r
        elif r["unit"] == "MB":  # one peak each
            assert abs(r["ratio"] - r["value"] / r["reference"]) < 1e-9, r
    phases = {r["case"].split(": ")[1] for r in rows if r["workload"] == "W5" and ": " in r["case"]}
    assert phases == {"convert", "trace", "compile", "first call"}
