"""Large runs hand files to worker processes: the result must be the one a single process gives."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import openpyxl
from builders import Sheet, write

from xl_addin.consolidate import machinery
from xl_addin.normalize import ingest
from xl_addin.locate.headers import HeaderIndex
from xl_addin.declare.spec import load_specs
from xl_addin.consolidate.pipeline import expand_inputs, run
from xl_addin.examples import generate_city, inject_mistakes, write_county_workbook
from xl_addin.render.summary_xlsx import write_summary
from xl_addin.declare.reference import default_clusters


def _corpus(folder):
    """Two cities' county workbooks with the demo's planted mistakes (a duplicate enterprise across
    files among them), a damaged file, a workbook with no table and a formula cell."""
    books = generate_city("沧州", seed=5) + generate_city("衡水", seed=6)
    inject_mistakes(books)
    paths = [write_county_workbook(b, folder / f"{n:02d}_{b.filename}") for n, b in enumerate(books)]
    (folder / "broken.xlsx").write_bytes(paths[0].read_bytes()[:3000])
    write(folder / "notes.xlsx", [Sheet("说明", [["这里没有表格"]])])
    return paths


def _summary_cells(path):
    wb = openpyxl.load_workbook(path)
    return {ws.title: ([[c.value for c in row] for row in ws.iter_rows()], sorted(map(str, ws.merged_cells.ranges)))
            for ws in wb}


def test_worker_pool_gives_the_same_report_and_summary_as_one_process(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    _corpus(folder)
    outputs = {}
    for workers in ("0", "2"):
        monkeypatch.setenv(machinery.WORKERS_ENV, workers)
        report = run([folder])
        summary = write_summary(report, tmp_path / f"SUMMARY_{workers}.xlsx")
        outputs[workers] = (report.to_json(), _summary_cells(summary))
    serial, pooled = outputs["0"], outputs["2"]
    data = json.loads(serial[0])
    assert len(data["inputs"]) > 20
    assert {i["reason"] for i in data["inputs"]} >= {None, "file_unreadable", "table_not_found"}
    assert {i["code"] for i in data["issues"]} >= {"duplicate_enterprise", "cluster_county_mismatch"}
    assert pooled[0] == serial[0]
    assert pooled[1] == serial[1]


def test_pooled_ingest_returns_every_input_in_order(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _corpus(folder)
    paths = expand_inputs([folder])
    clusters = default_clusters()
    specs = load_specs()
    pooled = list(machinery._pooled(list(enumerate(paths)), clusters, specs, 2)[1])
    assert [item.result.path for item in pooled] == paths
    for i, (item, path) in enumerate(zip(pooled, paths)):
        alone = ingest.ingest(i, path, clusters, specs, HeaderIndex(specs))
        assert item.result == alone.result
        assert [x.to_dict() for x in item.issues] == [x.to_dict() for x in alone.issues]
        assert item.columns == alone.columns


def test_a_broken_pool_finishes_in_this_process(tmp_path):
    """A script without a __main__ guard, with a thread running (so workers start from a fresh
    interpreter that re-runs the script, and fail): the run still completes, every input counted."""
    folder = tmp_path / "in"
    folder.mkdir()
    _corpus(folder)
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""
        import json, threading, time
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        from xl_addin.consolidate.pipeline import run
        report = run([{str(folder)!r}])
        print(json.dumps([len(report.inputs), sum(i.rows_read for i in report.inputs), len(report.issues)]))
    """), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, machinery.WORKERS_ENV: "2"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "bootstrapping phase" in proc.stderr          # the workers did fail
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    alone = run([folder])
    assert counts == [len(alone.inputs), sum(i.rows_read for i in alone.inputs), len(alone.issues)]


def test_workers_started_for_other_inputs_are_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv(machinery.WORKERS_ENV, "2")
    folder = tmp_path / "in"
    folder.mkdir()
    paths = expand_inputs(_corpus(folder))
    started = machinery.start(paths[1:], default_clusters(), load_specs())         # not the inputs of the run below
    report = run(paths, started=started)
    assert [i.path for i in report.inputs] == paths
    assert report.to_json() == run(paths).to_json()


def test_workers_start_before_pandas_is_imported():
    """The CLI hands files to the workers from the machinery before it imports the pipeline, so
    the reading overlaps pandas' and pandera's import (0.8 s); importing the machinery (and the
    consolidate package with it) must not load them."""
    code = ("import sys, xl_addin.consolidate.machinery, xl_addin.consolidate;"
            "print(sorted(m for m in ('pandas', 'pandera', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    from xl_addin import consolidate
    assert consolidate.run is run                      # the package still offers the entry point
