"""`xl-addin serve`: a real server on loopback, real HTTP requests (security probes), and a
real browser (Debian's chromium driven by Playwright) using the page."""
from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from click.testing import CliRunner

from xl_addin.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "TMPDIR": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "xl_addin.cli", "serve", "--no-browser", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(proc.stderr.read())
    yield {"port": port, "proc": proc, "home": home}
    proc.terminate()
    proc.wait(timeout=20)


def request(port, method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, quote(path), body=body, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
    res = conn.getresponse()
    data = res.read()
    conn.close()
    return res.status, data


def multipart(files: list[tuple[str, bytes]], city: str = "沧州") -> tuple[bytes, str]:
    boundary = "xladdinboundary7MA4YWxkTrZu0gW"
    out = io.BytesIO()
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="city"\r\n\r\n{city}\r\n'.encode())
    for name, data in files:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                  f"Content-Type: application/octet-stream\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def post(port, files, headers=None):
    body, kind = multipart(files)
    return request(port, "POST", "/api/consolidate", body, {"Content-Type": kind, **(headers or {})})


def county_files(demo) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted((demo / "区县报表").glob("*.xlsx"))]


def test_the_api_returns_the_report_with_uploaded_names_and_downloads(server, demo):
    status, data = post(server["port"], county_files(demo))
    assert status == 200, data
    report = json.loads(data)
    assert len(report["inputs"]) == 13 and all(i["status"] == "ok" for i in report["inputs"])
    assert {i["path"] for i in report["inputs"]} == {n for n, _ in county_files(demo)}
    assert all("/" not in i["path"] for i in report["issues"])
    assert set(report["downloads"]) == {"SUMMARY.xlsx", "REPORT.json", "沧州市推荐报告.docx", "企业声明.zip"}
    status, xlsx = request(server["port"], "GET", report["downloads"]["SUMMARY.xlsx"])
    assert status == 200 and xlsx[:2] == b"PK"
    status, bundle = request(server["port"], "GET", report["downloads"]["企业声明.zip"])
    assert status == 200 and len(zipfile.ZipFile(io.BytesIO(bundle)).namelist()) == report["summary"]["units"]
    status, doc = request(server["port"], "GET", report["downloads"]["沧州市推荐报告.docx"])
    assert status == 200 and doc[:2] == b"PK"
    cli = CliRunner().invoke(main, ["consolidate", str(demo / "区县报表"), "--out", str(demo / "cli.xlsx"),
                                    "--city", "沧州"])
    assert cli.exit_code == 1
    web = openpyxl.load_workbook(io.BytesIO(xlsx))
    ref = openpyxl.load_workbook(demo / "cli.xlsx")
    for name in ("汇总表（一）", "汇总表（二）", "补助测算"):
        assert [[c.value for c in r] for r in web[name].iter_rows()] == [[c.value for c in r] for r in ref[name].iter_rows()]
    status, _ = request(server["port"], "GET", report["downloads"]["SUMMARY.xlsx"].replace("/api/download/", "/api/download/x"))
    assert status == 404


def test_wrong_host_and_foreign_origin_are_refused(server, demo):
    port = server["port"]
    status, body = request(port, "GET", "/", headers={"Host": f"evil.example:{port}"})
    assert status == 403 and "拒绝访问" in json.loads(body)["error"]
    status, body = post(port, county_files(demo)[:1], {"Origin": "http://evil.example"})
    assert status == 403
    status, _ = post(port, county_files(demo)[:1], {"Origin": f"http://127.0.0.1:{port}"})
    assert status == 200
    status, _ = post(port, county_files(demo)[:1])          # a script that sends no Origin
    assert status == 200


def test_oversize_uploads_are_413_in_chinese(server):
    port = server["port"]
    status, body = post(port, [("大文件.xlsx", b"PK" + b"0" * (21 * 1024 * 1024))])
    assert status == 413 and "过大" in json.loads(body)["error"]
    status, body = post(port, [(f"{n}.xlsx", b"x") for n in range(501)])
    assert status == 413 and "太多" in json.loads(body)["error"]
    status, body = request(port, "POST", "/api/consolidate", b"", {"Content-Type": "multipart/form-data; boundary=x",
                                                                    "Content-Length": str(300 * 1024 * 1024)})
    assert status == 413


def test_hostile_names_and_zip_bombs_stay_in_the_private_folder(server, demo, tmp_path):
    from hostile import zip_bomb
    bomb = zip_bomb(tmp_path / "bomb.xlsx").read_bytes()
    name, data = county_files(demo)[0]
    status, body = post(server["port"], [("../../逃逸.xlsx", data), ("炸弹.xlsx", bomb)])
    assert status == 200
    report = json.loads(body)
    assert [i["path"] for i in report["inputs"]] == ["逃逸.xlsx", "炸弹.xlsx"]
    assert report["inputs"][1]["status"] == "rejected" and report["inputs"][1]["reason"] == "file_too_large"
    home = server["home"]
    assert not any(p.name == "逃逸.xlsx" for p in home.parent.rglob("逃逸.xlsx"))
    folders = [p for p in home.iterdir() if p.name.startswith("xl_addin_web_")]
    assert folders and all(oct(p.stat().st_mode & 0o777) == "0o700" for p in folders)


def test_results_expire_and_go_at_exit(tmp_path):
    from xl_addin.web.server import Result, Results
    results = Results(tmp_path / "root")
    results.root.mkdir()
    token, folder = results.new()
    (folder / "SUMMARY.xlsx").write_bytes(b"x")
    results.add(token, Result(folder, {"SUMMARY.xlsx": folder / "SUMMARY.xlsx"}))
    results.expire(time.monotonic() + 10)
    assert folder.exists()
    results.expire(time.monotonic() + 3601)
    assert not folder.exists() and results.get(token) is None
    results.clear()
    assert not results.root.exists()


def test_the_server_removes_its_folder_at_exit(tmp_path):
    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "xl_addin.cli", "serve", "--no-browser", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if any(tmp_path.glob("xl_addin_web_*")):
            break
        time.sleep(0.1)
    assert any(tmp_path.glob("xl_addin_web_*"))
    time.sleep(2)
    proc.terminate()
    proc.wait(timeout=20)
    assert not any(tmp_path.glob("xl_addin_web_*"))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_a_real_browser_uploads_the_demo_and_sees_the_problems(server, demo, tmp_path):
    from playwright.sync_api import sync_playwright

    port = server["port"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        page.select_option("#city", "沧州")
        page.set_input_files("#files", [str(p) for p in sorted((demo / "区县报表").glob("*.xlsx"))])
        page.click("#go")
        page.wait_for_selector("#result:not([hidden])", timeout=120_000)
        summary = page.inner_text("#summary")
        assert "文件：13 个（接收 13，拒收 0）" in summary and "创新发展项目：" in summary
        from xl_addin.consolidate.pipeline import run
        expected = run([demo / "区县报表"], city="沧州").issues      # the same run() behind the page
        assert page.locator("#issues tbody tr").count() == len(expected) > 0
        codes = page.inner_text("#issues")
        assert "未达到 50 万元的申报门槛" in codes and "同时出现在多个报送文件中" in codes
        page.select_option("#filter-severity", "warning")
        assert all("警告" in r for r in page.locator("#issues tbody tr td:first-child").all_inner_texts())
        with page.expect_download() as info:
            page.click("#downloads a:text('SUMMARY.xlsx')")
        path = tmp_path / "downloaded.xlsx"
        info.value.save_as(path)
        page.select_option("#filter-severity", "")
        page.screenshot(path=str(tmp_path / "web.png"), full_page=False)
        if os.environ.get("XL_ADDIN_SCREENSHOT"):
            shutil.copy(tmp_path / "web.png", os.environ["XL_ADDIN_SCREENSHOT"])
        browser.close()
    wb = openpyxl.load_workbook(path)
    assert wb["汇总表（一）"]["A1"].value.endswith("推荐项目汇总表")


def test_the_page_consolidates_sme_cluster_forms_into_the_recommendation_table(server, tmp_path):
    """The third programme through the page: county 申报表s (Excel and Word) into 附件4."""
    from xl_addin.forms.examples import write_demo_forms

    paths, _ = write_demo_forms("沧州", tmp_path / "forms")
    files = [(p.name, p.read_bytes()) for p in paths]
    assert any(name.endswith(".docx") for name, _ in files)
    status, data = post(server["port"], files)
    assert status == 200, data
    report = json.loads(data)
    assert {i["path"] for i in report["inputs"]} == {n for n, _ in files}
    assert set(report["downloads"]) == {"推荐汇总表.xlsx", "推荐汇总表.docx", "REPORT.json"}
    assert [c["county"] for c in report["clusters"]] and all("/" not in c["path"] for c in report["clusters"])
    assert any(i["code"] == "growth_rate_mismatch" for i in report["issues"])
    status, xlsx = request(server["port"], "GET", report["downloads"]["推荐汇总表.xlsx"])
    rows = [r for r in openpyxl.load_workbook(io.BytesIO(xlsx))["推荐汇总表"].iter_rows(values_only=True)]
    assert [r[1] for r in rows if isinstance(r[0], int)] == [c["name"] for c in report["clusters"] if c["accepted"]]
    assert [c["accepted"] for c in report["clusters"]].count(False) == 1       # the arithmetic mean
