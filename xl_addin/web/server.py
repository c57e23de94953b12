"""`xl-addin serve`: the same core as the command line, behind a page in the official's own
browser, for PCs where Excel buttons cannot run (WPS, blocked macros, Mac).

Officials' data never leaves the machine: the server binds loopback, answers only requests
addressed to itself (Host), accepts POSTs only from its own page (Origin), limits what an
upload may be, keeps uploads in a private folder deleted when their downloads expire and at
exit, never uses a client's file name as a path, and reads uploads with the same guards as
the command line (nothing in them is executed)."""
from __future__ import annotations

import asyncio
import atexit
import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

MAX_FILE = 20 * 1024 * 1024
MAX_REQUEST = 200 * 1024 * 1024
MAX_FILES = 500
EXPIRES = 3600                      # seconds a result's downloads stay
SUFFIXES = {".xlsx", ".xlsm", ".xls", ".docx"}    # .docx: the SME cluster 申报表
STATIC = resources.files("xl_addin.web").joinpath("static")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".png": "image/png"}


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class Guard:
    """ASGI middleware: the Host must be this server's own (a DNS-rebinding page cannot reach
    it), a POST's Origin the page's own, and a body no larger than MAX_REQUEST."""

    def __init__(self, app, port_of, hosts=("127.0.0.1", "localhost")):
        self.app, self.port_of, self.hosts = app, port_of, tuple(hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        port = self.port_of()
        own = {f"{h}:{port}" for h in self.hosts}
        if headers.get("host") not in own:
            return await error(403, "拒绝访问：只接受本机地址（127.0.0.1 或 localhost）的请求。")(scope, receive, send)
        origin = headers.get("origin")
        if scope["method"] == "POST" and origin is not None and origin not in {f"http://{h}" for h in own}:
            return await error(403, "拒绝访问：只接受本页面发出的请求。")(scope, receive, send)
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_REQUEST:
            return await error(413, f"上传内容过大：一次最多 {MAX_REQUEST // 1024 // 1024} MB。")(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_REQUEST:
                    raise TooLarge()
            return message
        try:
            return await self.app(scope, limited, send)
        except TooLarge:
            return await error(413, f"上传内容过大：一次最多 {MAX_REQUEST // 1024 // 1024} MB。")(scope, receive, send)


class TooLarge(Exception):
    pass


@dataclass
class Result:
    folder: Path
    files: dict[str, object]        # name -> Path, or a function that makes it (see _consolidate)
    created: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Results:
    """Each consolidation's private folder (mode 0700), found by an unguessable token."""

    def __init__(self, root: Path):
        self.root = root
        self.items: dict[str, Result] = {}
        self.lock = threading.Lock()

    def new(self) -> tuple[str, Path]:
        token = secrets.token_urlsafe(24)
        folder = self.root / token
        folder.mkdir(mode=0o700)
        return token, folder

    def add(self, token: str, result: Result) -> None:
        with self.lock:
            self.items[token] = result

    def get(self, token: str) -> Result | None:
        with self.lock:
            return self.items.get(token)

    def expire(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self.lock:
            old = [t for t, r in self.items.items() if now - r.created > EXPIRES]
            for t in old:
                shutil.rmtree(self.items.pop(t).folder, ignore_errors=True)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def _safe_name(name: str) -> str:
    """The uploaded file's name as shown to the official: its last part, no control or path characters."""
    base = re.split(r"[\\\\/]", name or "")[-1]
    base = re.sub(r'[\x00-\x1f<>:"|?*]', "_", base).strip(" .")
    return base[:120] or "未命名.xlsx"


def create_app(port: int = 8765, root: Path | None = None, host: str | None = None) -> Starlette:
    state = {"port": port}
    root = Path(root or tempfile.mkdtemp(prefix="xl_addin_web_"))
    os.chmod(root, stat.S_IRWXU)
    results = Results(root)
    atexit.register(results.clear)
    from xl_addin.consolidate.pipeline import run      # pandas and pandera once, at start: later requests are warm
    from xl_addin.declare.reference import default_clusters
    from xl_addin.declare.rules import load_rules
    from xl_addin.declare.spec import load_specs
    specs = load_specs()
    rules = load_rules(specs=specs)
    clusters = default_clusters()
    work = threading.Lock()             # one consolidation at a time (the machine has two cores)

    async def page(request: Request) -> Response:
        return HTMLResponse(STATIC.joinpath("index.html").read_text("utf-8"))

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if not re.fullmatch(r"[a-z]+\.(js|css|png)", name) or not STATIC.joinpath(name).is_file():
            return error(404, "没有这个文件。")
        return Response(STATIC.joinpath(name).read_bytes(), media_type=TYPES[Path(name).suffix])

    async def cities(request: Request) -> Response:
        return JSONResponse({"cities": clusters.cities, "tables": {t.id: t.label for t in specs}})

    async def consolidate(request: Request) -> Response:
        results.expire()
        try:
            form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES + 10)
        except TooLarge:
            raise
        except Exception as exc:
            detail = str(getattr(exc, "detail", "") or exc)     # Starlette wraps the parser's reason
            if detail.startswith(("Too many files", "Too many fields")):
                return error(413, f"文件太多：一次最多 {MAX_FILES} 个。")
            return error(400, f"上传内容无法解析：{type(exc).__name__}")
        uploads = [f for f in form.getlist("files") if hasattr(f, "read")]
        if not uploads:
            return error(400, "没有收到任何报表文件。请选择或拖入区县报送的 Excel 文件。")
        if len(uploads) > MAX_FILES:
            return error(413, f"文件太多：一次最多 {MAX_FILES} 个。")
        city = clusters.match_city(form.get("city") or "") if form.get("city") else None
        if form.get("city") and city is None:
            return error(400, f"“{form.get('city')}”不是河北省设区市（含定州、辛集）。")
        token, folder = results.new()
        inbox = folder / "in"
        inbox.mkdir(mode=0o700)
        names: dict[str, str] = {}
        for n, upload in enumerate(uploads, start=1):
            shown = _safe_name(upload.filename)
            if (upload.size or 0) > MAX_FILE:
                shutil.rmtree(folder, ignore_errors=True)
                return error(413, f"文件“{shown}”过大：每个文件最多 {MAX_FILE // 1024 // 1024} MB。")
            suffix = Path(shown).suffix.lower()
            stored = inbox / f"{n:04d}{suffix if suffix in SUFFIXES else '.xlsx'}"
            with open(stored, "wb") as out:
                shutil.copyfileobj(upload.file, out, 1 << 20)
            names[str(stored)] = _unique(shown, names.values())
        try:
            data, files = await asyncio.to_thread(_consolidate, run, rules, specs, list(names), names, city, folder,
                                                  work)
        except Exception as exc:      # the core raises for no input; anything else is a bug to report
            shutil.rmtree(folder, ignore_errors=True)
            return error(500, f"汇总未完成：{type(exc).__name__}: {exc}")
        shutil.rmtree(inbox, ignore_errors=True)
        results.add(token, Result(folder, files))
        data["downloads"] = {name: f"/api/download/{token}/{name}" for name in files}
        return JSONResponse(data)

    async def download(request: Request) -> Response:
        result = results.get(request.path_params["token"])
        name = request.path_params["name"]
        path = result.files.get(name) if result else None
        if callable(path):                  # made on first download, then kept
            with result.lock:
                path = result.files[name]
                if callable(path):
                    path = result.files[name] = await asyncio.to_thread(path)
        if path is None or not path.exists():
            return error(404, "下载已过期或不存在（结果保留一小时），请重新汇总。")
        return FileResponse(path, filename=name)

    app = Starlette(routes=[Route("/", page), Route("/static/{name}", static), Route("/api/cities", cities),
                            Route("/api/consolidate", consolidate, methods=["POST"]),
                            Route("/api/download/{token}/{name}", download)],
                    middleware=[Middleware(Guard, port_of=lambda: state["port"],
                                           hosts=("127.0.0.1", "localhost", *([host] if host else [])))],
                    lifespan=_lifespan(results))
    app.state.results = results
    app.state.port = state
    return app


def _lifespan(results: Results):
    """Expired results are removed every minute; every upload and output at exit."""
    import contextlib

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async def sweep():
            while True:
                await asyncio.sleep(60)
                results.expire()
        task = asyncio.create_task(sweep())
        try:
            yield
        finally:
            task.cancel()
            results.clear()
    return lifespan


def _unique(name: str, taken) -> str:
    taken = set(taken)
    if name not in taken:
        return name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while f"{stem}({n}){suffix}" in taken:
        n += 1
    return f"{stem}({n}){suffix}"


def _consolidate(run, rules, specs, paths, names, city, folder: Path, work: threading.Lock):
    """The core on the stored uploads; the report speaks of the uploaded names, never of the
    server's paths; the outputs go into the result's folder."""
    import zipfile

    from xl_addin.render.atomic import write_text
    from xl_addin.render.docx_declarations import write_declarations
    from xl_addin.render.docx_report import write_report
    from xl_addin.render.summary_xlsx import write_summary

    from xl_addin.forms.consolidate import is_form

    if any(is_form(p) for p in paths):
        return _consolidate_forms(rules, paths, names, city, folder, work)
    with work:
        report = run(paths, rules, city=city, specs=specs)
        rename(report, names)
        summary = write_summary(report, folder / "SUMMARY.xlsx", title=rules.summary_title)
        data = report.to_dict()
    files = {"SUMMARY.xlsx": summary, "REPORT.json": write_text(folder / "REPORT.json", report.to_json())}

    # The Word documents are made when first downloaded: a city's declarations are one
    # document per enterprise (seconds of python-docx), which most runs never fetch.
    def report_docx() -> Path:
        return write_report(data, rules, report.city or "XX", folder / "推荐报告.docx", specs=specs)

    def declarations_zip() -> Path:
        bundle = folder / "企业声明.zip"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
            for p in write_declarations(data, rules, folder / "declarations", specs):
                z.write(p, p.name)
        return bundle
    files[f"{report.city or 'XX'}市推荐报告.docx"] = report_docx
    files["企业声明.zip"] = declarations_zip
    return data, files


def _consolidate_forms(rules, paths, names, city, folder: Path, work: threading.Lock):
    """SME cluster 申报表s (Excel or Word) into 附件4 推荐汇总表, as `xl-addin consolidate` does."""
    from xl_addin.forms.consolidate import run_forms
    from xl_addin.forms.spec import load_form
    from xl_addin.forms.summary import write_cluster_docx, write_cluster_summary
    from xl_addin.render.atomic import write_text

    spec = load_form()
    with work:
        report = run_forms(paths, rules, city=city)
        rename(report, names)
        files = {"推荐汇总表.xlsx": write_cluster_summary(report, spec, folder / "推荐汇总表.xlsx"),
                 "推荐汇总表.docx": write_cluster_docx(report, spec, folder / "推荐汇总表.docx"),
                 "REPORT.json": write_text(folder / "REPORT.json", report.to_json())}
    return report.to_dict(), files


def rename(report, names: dict[str, str]) -> None:
    """Every path of the report (inputs, issues, sources, messages) as the uploaded file's name."""
    stored = {Path(p).name: shown for p, shown in names.items()}
    for inp in report.inputs:
        inp.path = names.get(inp.path, inp.path)
    for issue in report.issues:
        issue.path = names.get(issue.path, issue.path)
        for k, v in issue.context.items():
            if isinstance(v, str):
                for old, new in stored.items():
                    v = v.replace(old, new)
                issue.context[k] = v
    for ents in report.enterprises.values():
        for e in ents:
            e.source = names.get(e.source, e.source)
    for table in report.tables.values():
        for e in table["enterprises"] if isinstance(table, dict) else table:   # clusters: a list of forms
            for k in ("source", "path"):
                if k in e:
                    e[k] = names.get(e[k], e[k])
    for e in report.excluded:
        for k in ("source", "path"):
            if k in e:
                e[k] = names.get(e[k], e[k])


def serve(port: int = 8765, host: str | None = None, open_browser: bool = True) -> None:
    import uvicorn

    app = create_app(port, host=host)
    if open_browser:
        import webbrowser
        threading.Timer(1.0, lambda: webbrowser.open(f"http://127.0.0.1:{port}/")).start()
    uvicorn.run(app, host=host or "127.0.0.1", port=port, log_level="warning")
