"""The benchmark script keeps working (small N; no timing is asserted here)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_runs_at_small_n_and_reports_every_ratio(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--n", "4", "--reps", "1",
                           "--button-rows", "30", "--cache", str(tmp_path / "cache"), "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["n"] == 4
    assert set(result["results"]) == {"limit", "peer", "consolidate", "import_floor", "button"}
    for step in result["results"].values():
        assert step["seconds"] > 0 and step["peak_mb"] > 0 and len(step["runs"]) == 1
    assert set(result["ratios"]) == {"consolidate_vs_limit", "peer_vs_consolidate", "button_vs_import_floor",
                                     "consolidate_peak_mb"}
    for name in result["ratios"]:
        assert name in proc.stdout
    # the corpus is cached: a second run reuses the same workbooks
    corpus = sorted((tmp_path / "cache").glob("corpus2_*/*.xlsx"))
    assert len(corpus) == 4
