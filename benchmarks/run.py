"""Benchmarks: province-scale consolidation and button latency, against the limit and a peer.

    python benchmarks/run.py --n 1000          # about 80,000 data rows; corpus cached
    python benchmarks/run.py --n 5 --reps 1    # smoke run (the test suite does this)

Every measurement is a new process (wall time; peak memory: the larger of its own peak
RSS, VmHWM, and, while it has workers, the PSS sum of it and its workers, sampled; see
measure()), repeated --reps times; medians are printed with the ratios the targets are
stated in:

  1 limit        import pandas + pandera, read all sheets with calamine, write the rows
                 once with XlsxWriter (constant memory)            (benchmarks/limit.py)
  2 peer         pandas.read_excel(engine="openpyxl") + to_excel(openpyxl)  (peer.py)
  3 consolidate  xl-addin consolidate CORPUS --out SUMMARY.xlsx, end to end
  4 button       xl-addin validate ONE_300_ROW_WORKBOOK, against the import floor
                 python -c "import pandas, pandera.pandas"

Targets: 3/1 <= 1.3, 2/3 >= 5, peak memory of 3 <= 300 MB at N = 1000, 4/floor <= 1.15,
on both corpus shapes (--shape city, --shape small).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"consolidate_vs_limit": ("<=", 1.3), "peer_vs_consolidate": (">=", 5.0),
           "button_vs_import_floor": ("<=", 1.15), "consolidate_peak_mb": ("<=", 300.0)}


def _top3_within_quota(books, claims: dict) -> None:
    """Keep the corpus clean under the guide's top-3 rule (000 二、（一）: at most 3 营收前三
    enterprises per cluster): later claimants of a full cluster become 领跑者 enterprises."""
    for book in books:
        for p in book.table1:
            if p.category == "营收前三":
                claims[p.cluster] = claims.get(p.cluster, 0) + 1
                if claims[p.cluster] > 3:
                    p.category = "领跑者"


def build_corpus(n: int, seed: int, folder: Path, rows_per_file: int = 80) -> list[Path]:
    """N clean county workbooks in the demo generator's realistic layout, cached by (n, seed)."""
    from xl_addin.examples import generate_city, write_county_workbook
    from xl_addin.declare.reference import default_clusters

    done = folder / "complete.json"
    if done.exists():
        return sorted(folder.glob("*.xlsx"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    clusters = default_clusters()
    per = max(rows_per_file // 5, 1)            # an innovation project has about five equipment rows
    paths, k, claims = [], 0, {}
    while len(paths) < n:
        for city in clusters.cities:
            for book in generate_city(city, seed=seed + k, per_county=(per - 1, per + 1), clusters=clusters):
                if len(paths) >= n:
                    break
                _top3_within_quota([book], claims)
                for p in book.table1 + book.table2:   # unique enterprises across the corpus
                    p.name = f"{p.name[:-4]}{len(paths):04d}{p.name[-4:]}"
                paths.append(write_county_workbook(book, folder / f"{len(paths):04d}_{book.filename}",
                                                   placeholders=False))
            k += 1
            if len(paths) >= n:
                break
    done.write_text(json.dumps({"n": n, "seed": seed}))
    return paths


def build_small_corpus(n: int, seed: int, folder: Path, t1: int = 15, t2: int = 5) -> list[Path]:
    """The second shape: many small enterprises. Per workbook `t1` Table 1 enterprises of 2-6
    equipment rows each and `t2` Table 2 enterprises, all names unique, every enterprise at or
    above the threshold (at N = 1,000: 15,000 and 5,000 enterprises)."""
    import random

    from xl_addin.examples import CountyBook, _equity, _innovation, write_county_workbook
    from xl_addin.declare.reference import default_clusters

    done = folder / "complete.json"
    if done.exists():
        return sorted(folder.glob("*.xlsx"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    clusters = default_clusters()
    rng = random.Random(seed)
    paths, used, claims = [], set(), {}
    for k in range(n):
        c = clusters.clusters[k % len(clusters.clusters)]
        book = CountyBook(c.city, c.county)
        for j in range(t1):
            p = _innovation(rng, c.county, c.name, c.industry, used)
            p.equipment = (p.equipment * 6)[:rng.randint(2, 6)]
            while p.total < 60:
                p.equipment[0].quantity += 1
            p.name = f"{p.name[:-4]}{k:04d}{j:02d}{p.name[-4:]}"
            book.table1.append(p)
        for j in range(t2):
            p = _equity(rng, c.city, c.county, c.name, c.industry, used)
            p.name = f"{p.name[:-4]}{k:04d}E{j:02d}{p.name[-4:]}"
            book.table2.append(p)
        _top3_within_quota([book], claims)
        paths.append(write_county_workbook(book, folder / f"{k:04d}_{book.filename}", placeholders=False))
    done.write_text(json.dumps({"n": n, "seed": seed, "shape": "small"}))
    return paths


def one_workbook(rows: int, folder: Path) -> Path:
    """One county workbook of about `rows` Table 1 rows (the button-latency input)."""
    from xl_addin.examples import generate_city, write_county_workbook

    path = folder / f"county_{rows}.xlsx"
    if not path.exists():
        book = generate_city("沧州", seed=11, counties=1, per_county=(rows // 5, rows // 5))[0]
        write_county_workbook(book, path, placeholders=False)
    return path


def _proc_mb(path: str, field: bytes) -> float:
    """A kB figure of a /proc file (`field` with its colon), in MB; 0 once the process is gone."""
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _pss_mb(pid: int) -> float:
    """Proportional set size: private pages plus a fair share of pages shared with other
    processes (a forked worker shares the parent's imported modules)."""
    return _proc_mb(f"/proc/{pid}/smaps_rollup", b"Pss:")


def descendants(root: int) -> set[int]:
    parent = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                parent[int(entry)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except OSError:
            continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parent.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    return tree - {root}


def _hwm_mb(pid: int) -> float:
    """The process's own peak RSS so far (VmHWM; cheap to read, and unlike wait4's figure it
    leaves out its children)."""
    return _proc_mb(f"/proc/{pid}/status", b"VmHWM:")


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak MB) of one new process. Peak memory is the larger of
    - the process's own peak RSS: VmHWM, read as it runs (wait4's figure where there is no
      /proc; wait4 cannot be used with workers, as it reports a forked child's RSS, which
      counts every page the child shares with its parent in full);
    - sampled while it has worker processes, the sum of the PSS of it and its workers: the
      physical memory of the process tree, each page shared between processes (a forked
      worker shares its parent's pages until either writes them) counted once."""
    tree_peak, own_peak, last_pss = 0.0, 0.0, 0.0
    proc_fs = os.path.isdir("/proc")
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if proc_fs:
                own_peak = max(own_peak, _hwm_mb(proc.pid))
                # PSS only while the process has workers, and at most 5 times a second:
                # reading it walks page tables, which would slow the process being measured.
                now = time.perf_counter()
                # (the process list too: scanning /proc 50 times a second takes a share of a core)
                if now - last_pss > 0.2:
                    last_pss = now
                    children = descendants(proc.pid)
                    if children:
                        tree_peak = max(tree_peak, sum(_pss_mb(p) for p in children | {proc.pid}))
            time.sleep(0.02)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):     # 1 = finished with issues found, still a full run
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
    return wall, max(own_peak if proc_fs else usage.ru_maxrss / 1024, tree_peak)


def median_of(cmd: list[str], reps: int) -> dict:
    runs = [measure(cmd) for _ in range(reps)]
    return {"seconds": statistics.median(r[0] for r in runs), "peak_mb": max(r[1] for r in runs),
            "runs": [round(r[0], 3) for r in runs]}


def count_rows(files: list[Path]) -> int:
    from python_calamine import CalamineWorkbook

    total = 0
    for f in files:
        wb = CalamineWorkbook.from_path(str(f))
        total += sum(len(wb.get_sheet_by_name(s).to_python(skip_empty_area=True)) - 3 for s in wb.sheet_names)
    return total


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="county workbooks in the corpus")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per measurement (median)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--button-rows", type=int, default=300)
    ap.add_argument("--cache", type=Path, default=HERE / ".cache")
    ap.add_argument("--corpus", type=Path, help="use these workbooks instead of generating a corpus")
    ap.add_argument("--shape", choices=["city", "small"], default="city",
                    help="city: the demo generator's counties; small: many small enterprises")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--skip-peer", action="store_true", help="skip the (slow) peer measurement")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    if args.corpus:
        files = sorted(p for p in args.corpus.rglob("*") if p.suffix in (".xlsx", ".xlsm", ".xls"))
    elif args.shape == "small":
        files = build_small_corpus(args.n, args.seed, args.cache / f"small2_n{args.n}_s{args.seed}")
    else:
        files = build_corpus(args.n, args.seed, args.cache / f"corpus2_n{args.n}_s{args.seed}")
    print(f"corpus: {len(files)} workbooks, {count_rows(files)} rows (ready in {time.perf_counter() - t0:.1f} s)",
          flush=True)
    button_input = one_workbook(args.button_rows, args.cache)
    # Measure the product as installed: a pip install compiles .pyc files (an editable install
    # would write them on first import, unless PYTHONDONTWRITEBYTECODE is set, as in CI here).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "xl_addin")], check=True)
    work = Path(tempfile.mkdtemp(prefix="xl_addin_bench_"))
    py, names = sys.executable, [str(f) for f in files]
    cli = [py, "-m", "xl_addin.cli"]
    results = {}
    try:
        steps = [("limit", [py, str(HERE / "limit.py"), str(work / "limit.xlsx"), *names]),
                 ("consolidate", [*cli, "consolidate", *names, "--out", str(work / "SUMMARY.xlsx")]),
                 ("import_floor", [py, "-c", "import pandas, pandera.pandas"]),
                 ("button", [*cli, "validate", str(button_input)])]
        if not args.skip_peer:
            steps.insert(1, ("peer", [py, str(HERE / "peer.py"), str(work / "peer.xlsx"), *names]))
        for name, cmd in steps:
            results[name] = median_of(cmd, args.reps)
            r = results[name]
            print(f"{name:13s} {r['seconds']:8.2f} s   peak {r['peak_mb']:7.1f} MB   runs {r['runs']}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratios = {"consolidate_vs_limit": results["consolidate"]["seconds"] / results["limit"]["seconds"],
              "button_vs_import_floor": results["button"]["seconds"] / results["import_floor"]["seconds"],
              "consolidate_peak_mb": results["consolidate"]["peak_mb"]}
    if "peer" in results:
        ratios["peer_vs_consolidate"] = results["peer"]["seconds"] / results["consolidate"]["seconds"]
    print("\nratios (target):")
    for key, value in ratios.items():
        op, target = TARGETS[key]
        ok = value <= target if op == "<=" else value >= target
        print(f"  {key:24s} {value:8.2f}   ({op} {target})  {'met' if ok else 'MISSED'}")
    out = {"n": len(files), "reps": args.reps, "results": results, "ratios": ratios,
           "python": sys.version.split()[0], "cpus": os.cpu_count()}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
