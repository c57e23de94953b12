"""The local page's speed: a warm POST /api/consolidate of the demo's 13 county workbooks
against a fresh `xl-addin consolidate` process on the same files (the server imported pandas
and pandera once, at start).

    python benchmarks/web.py [--reps 5]
"""
from __future__ import annotations

import argparse
import http.client
import io
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _multipart(files: list[Path]) -> tuple[bytes, str]:
    boundary = "xladdinbench"
    out = io.BytesIO()
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="city"\r\n\r\n沧州\r\n'.encode())
    for f in files:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{f.name}"\r\n\r\n'.encode())
        out.write(f.read_bytes() + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="xl_addin_web_bench_"))
    py = sys.executable
    subprocess.run([py, "-m", "xl_addin.cli", "demo", "--out", str(work / "demo")], check=True, capture_output=True)
    files = sorted((work / "demo" / "区县报表").glob("*.xlsx"))
    cold = []
    for _ in range(args.reps):
        t = time.perf_counter()
        subprocess.run([py, "-m", "xl_addin.cli", "consolidate", *map(str, files), "--out", str(work / "S.xlsx"),
                        "--json", str(work / "R.json"), "--city", "沧州"], capture_output=True)
        cold.append(time.perf_counter() - t)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([py, "-m", "xl_addin.cli", "serve", "--no-browser", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        body, kind = _multipart(files)

        def post() -> float:
            t = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            conn.request("POST", "/api/consolidate", body, {"Host": f"127.0.0.1:{port}", "Content-Type": kind})
            res = conn.getresponse()
            res.read()
            assert res.status == 200, res.status
            return time.perf_counter() - t
        first = post()
        warm = [post() for _ in range(args.reps)]
    finally:
        server.terminate()
        server.wait()
    out = {"cold_cli_s": statistics.median(cold), "first_post_s": first, "warm_post_s": statistics.median(warm)}
    print(f"fresh CLI process  {out['cold_cli_s']:.2f} s (median of {args.reps})")
    print(f"first POST         {out['first_post_s']:.2f} s")
    print(f"warm POST          {out['warm_post_s']:.2f} s (median of {args.reps}; SUMMARY.xlsx and REPORT.json, "
          f"as the CLI writes; the Word documents are made when first downloaded)")
    print(f"ratio cold/warm    {out['cold_cli_s'] / out['warm_post_s']:.2f}")
    return out


if __name__ == "__main__":
    main()
