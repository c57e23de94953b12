"""Command line: `xl-addin validate|consolidate|demo`. Thin: parse options, call
the core, render the Report. Exit codes: 0 no errors, 1 errors found, 2 usage
error or nothing could be read."""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import NamedTuple, NoReturn

import click

EXIT_OK, EXIT_ERRORS, EXIT_UNUSABLE = 0, 1, 2
_run_in_memory = False      # set by _done: a finished run's objects are still alive


def _console(stderr: bool = False):
    from rich.console import Console
    # soft_wrap: never break a path or a message across lines; the terminal wraps if it must.
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _specs(tables=()):
    from xl_addin.declare.spec import SpecError, load_specs
    try:
        return load_specs(list(tables or ()))
    except SpecError as exc:
        raise click.UsageError(str(exc)) from exc


def _load_rules(path, tables=()):
    from xl_addin.declare.rules import RulesError, load_rules
    try:
        return load_rules(path, _specs(tables))
    except RulesError as exc:
        raise click.UsageError(str(exc)) from exc


def _open_ledger(path, rules=None):
    """The ledger at `path` (created when missing), or a usage error with its Chinese reason (exit 2)."""
    from xl_addin.ledger import Ledger, LedgerError
    try:
        ledger = Ledger.open(path)
    except LedgerError as exc:
        _console(stderr=True).print(f"[red]{exc}[/red]")
        sys.exit(EXIT_UNUSABLE)
    if rules is not None:
        ledger.year = int(rules.raw["round"].get("year", 9999))
    return ledger


def _prepare(inputs, rules_path, tables=()):
    """A table run's rules, specs and files, the files already handed to the worker processes
    of a large run: they read while this process imports pandas and pandera, and while it
    decides whether the inputs are cluster forms instead (_cluster_forms: 0.6 s at N = 1,000,
    so deciding first would keep both cores waiting)."""
    from xl_addin.normalize.ingest import expand_inputs
    from xl_addin.consolidate.machinery import start
    from xl_addin.declare.reference import default_clusters

    rules = _load_rules(rules_path, tables)
    specs = _specs(tables).bind(rules)          # the workers read with the round's choices
    paths = expand_inputs(list(inputs))
    ready = paths and all(Path(p).exists() for p in paths)
    return _Prepared(rules, specs, paths, start(paths, default_clusters(), specs) if ready else None)


class _Prepared(NamedTuple):
    rules: object
    specs: object
    paths: list[str]
    started: object       # machinery.Started, or None (no files, or a missing one: _run says which)


def _run(inputs, rules_path, city=None, tables=(), ledger_path=None, prepared=None):
    rules, specs, paths, started = prepared or _prepare(inputs, rules_path, tables)
    if not paths:
        raise click.UsageError("没有找到要处理的 Excel 文件（.xlsx/.xlsm/.xls）。请检查路径。")
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise click.UsageError("找不到文件：" + "、".join(missing))
    ledger = _open_ledger(ledger_path, rules) if ledger_path else None
    # (with the garbage collector off, as run() has it: importing makes many objects, no garbage)
    gc.disable()
    try:
        return _consolidate(paths, rules, city, started, specs, ledger)
    finally:
        gc.enable()


def _tables_or_forms(inputs, rules_path, tables=()):
    """(prepared table run, None), or (None, the cluster forms) when the inputs are forms."""
    prepared = _prepare(inputs, rules_path, tables)
    forms = _cluster_forms(inputs)
    if forms and prepared.started is not None:
        prepared.started.cancel()
    return (None, forms) if forms else (prepared, None)


def _consolidate(paths, rules, city, started, specs, ledger=None):
    from xl_addin.consolidate.pipeline import run

    if len(paths) == 1:
        return run(paths, rules, city=city, started=started, specs=specs, ledger=ledger)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    # (the workers were started above, before this bar's refresh thread exists)
    with Progress(TextColumn("读取报表"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  TextColumn("{task.description}"), console=_console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=len(paths))
        return run(paths, rules, city=city, started=started, specs=specs, ledger=ledger,
                   progress=lambda done, total, path: bar.update(task, completed=done, description=Path(path).name))


def _print_issues(report, limit: int = 40) -> None:
    """Two lines per issue (where, then what to do): readable in any terminal width."""
    from rich.markup import escape

    console = _console()
    if not report.issues:
        console.print("[green]未发现问题。[/green]")
        return
    console.print(f"[bold]问题清单[/bold]（{len(report.errors)} 个错误，{len(report.warnings)} 个警告）")
    for issue in report.issues[:limit]:
        level = "[red]错误[/red]" if issue.severity == "error" else "[yellow]警告[/yellow]"
        console.print(f"{level} {escape(Path(issue.path).name)} {escape(issue.where)} [dim]{issue.code}[/dim]")
        console.print(f"     {escape(issue.message)}")
    if len(report.issues) > limit:
        console.print(f"……另有 {len(report.issues) - limit} 条问题，完整清单见 REPORT.json 或汇总表的“问题清单”工作表。")


def _print_summary(report, outputs: list[tuple[str, Path]]) -> None:
    console = _console()
    ok = sum(i.status == "ok" for i in report.inputs)
    rows = [sum(getattr(i, a) for i in report.inputs) for a in ("rows_read", "rows_accepted", "rows_rejected")]
    s = report.summary
    lines = [
        f"文件：{len(report.inputs)} 个（接收 {ok}，拒收 {len(report.inputs) - ok}）",
        f"数据行：读取 {rows[0]}，接收 {rows[1]}，剔除 {rows[2]}",
    ]
    projects = [spec for spec in report.specs if spec.report.get("project")]
    if projects:
        parts = "，".join(f"{spec.label} {len(report.enterprises[spec.id])}" for spec in projects)
        lines.append(f"申报单位：{s['units']} 个；项目：{s['projects']} 个（{parts}）")
    for spec in report.specs:
        section, n = report.tables[spec.id], len(report.enterprises[spec.id])
        if spec.amount and (n or spec.report.get("project")):
            lines.append(f"{spec.label}：{n} 个，合计 {section['total']:.2f} {spec.unit or ''}，"
                         f"测算补助 {section['subsidy']:.2f} 万元")
        elif n:
            lines.append(f"{spec.label}：{n} 个")
    lines.append(f"问题：错误 {len(report.errors)} 个，警告 {len(report.warnings)} 个")
    if report.checks_skipped:
        lines.append("未进行的检查（未提供台账或名单）：" + "、".join(report.checks_skipped))
    from rich.markup import escape
    from rich.panel import Panel
    console.print(Panel("\n".join(lines), title="汇总结果", expand=False))
    for label, path in outputs:
        console.print(f"{label}：{escape(str(path))}")


def _cluster_forms(inputs) -> list[str] | None:
    """The inputs, when they are SME cluster 申报表s (Word, or Excel holding the form's labels)
    and none is a county table workbook; otherwise None (the table programmes)."""
    from xl_addin.forms.consolidate import expand, is_form

    paths = expand(list(inputs))
    forms = [p for p in paths if is_form(p)]      # by sheet names only: about 1 ms a workbook
    if not forms:
        return None
    others = [p for p in paths if p not in forms]
    if others:
        from xl_addin.normalize.ingest import ingest
        from xl_addin.locate.headers import HeaderIndex
        from xl_addin.declare.reference import default_clusters
        specs = _specs()
        index = HeaderIndex(specs)
        if any(ingest(0, p, default_clusters(), specs, index).result.status == "ok" for p in others):
            return None
    return paths


def _run_forms(paths, rules_path, city=None):
    from xl_addin.forms.consolidate import run_forms

    rules = _load_rules(rules_path)
    if len(paths) == 1:
        return run_forms(paths, rules, city=city)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("读取申报表"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  console=_console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=len(paths))
        return run_forms(paths, rules, city=city,
                         progress=lambda done, total, path: bar.update(task, completed=done, description=Path(path).name))


def _print_form_summary(report, outputs) -> None:
    from rich.markup import escape
    from rich.panel import Panel

    ok = sum(i.status == "ok" for i in report.inputs)
    lines = [f"申报表：{len(report.inputs)} 份（读取 {ok}，拒收 {len(report.inputs) - ok}）",
             f"列入推荐汇总表：{report.summary['clusters']} 个集群",
             f"问题：错误 {len(report.errors)} 个，警告 {len(report.warnings)} 个"]
    _console().print(Panel("\n".join(lines), title="中小企业特色产业集群", expand=False))
    for label, path in outputs:
        _console().print(f"{label}：{escape(str(path))}")


def _exit_code(report) -> int:
    if report.inputs and all(i.status == "rejected" for i in report.inputs):
        return EXIT_UNUSABLE
    return EXIT_ERRORS if report.errors else EXIT_OK


def _done(code: int) -> NoReturn:
    """Exit after a run: its result is still in memory, and the console script then skips
    the interpreter's teardown (see entry)."""
    global _run_in_memory
    _run_in_memory = True
    sys.exit(code)


def _write_json(report, path) -> Path:
    from xl_addin.render.atomic import write_text
    return write_text(path, report.to_json())


inputs_argument = click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=str))
rules_option = click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False),
                            help="本轮申报的规则文件（TOML），默认使用内置的2026年度规则。")
json_option = click.option("--json", "json_path", type=click.Path(dir_okay=False), help="把完整结果写成 REPORT.json。")
ledger_option = click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False),
                             help="台账文件（SQLite）：用其中的名单和以往轮次核对资格。")
tables_option = click.option("--tables", "tables", multiple=True, type=click.Path(exists=True),
                             help="另加的表格定义（.toml 文件或文件夹），如新一年修订的表格。")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xl-addin")
def main() -> None:
    """xl-addin：河北省特色产业集群“领跑者”项目表格的校验与汇总工具。"""


@main.command()
@inputs_argument
@json_option
@rules_option
@tables_option
@ledger_option
def validate(inputs, json_path, rules_path, tables, ledger_path):
    """校验区县报表（文件或文件夹），列出问题，不生成汇总表。中小企业特色产业集群申报表（.xlsx/.docx）同样适用。"""
    prepared, forms = _tables_or_forms(inputs, rules_path, tables)
    if forms:
        report = _run_forms(forms, rules_path)
        _print_issues(report)
        outputs = [("结果文件", _write_json(report, json_path))] if json_path else []
        _print_form_summary(report, outputs)
        _done(_exit_code(report))
    report = _run(inputs, rules_path, tables=tables, ledger_path=ledger_path, prepared=prepared)
    _print_issues(report)
    outputs = [("结果文件", _write_json(report, json_path))] if json_path else []
    _print_summary(report, outputs)
    _done(_exit_code(report))


@main.command("cluster-form")
@click.argument("form", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Word 申报表（.docx）的保存位置。")
@json_option
@rules_option
def cluster_form(form, out_path, json_path, rules_path):
    """把填好的中小企业特色产业集群申报表（Excel 模板或 Word）校验后生成附件1格式的 Word 申报表（含自动计算的值）。"""
    from xl_addin.forms.consolidate import read_form
    from xl_addin.forms.docx_form import write_form
    from xl_addin.forms.spec import load_form
    from xl_addin.model import InputResult, Report
    from xl_addin.declare.reference import default_clusters

    spec, rules = load_form(), _load_rules(rules_path)
    rec, issues, derived = read_form(form, spec, rules, default_clusters())
    result = InputResult(form, "ok" if rec is not None else "rejected", None if rec else issues[0].code)
    report = Report([result], issues, {}, {})
    _print_issues(report)
    if rec is None:
        sys.exit(EXIT_UNUSABLE)
    out = write_form(rec, derived, spec, out_path)
    _console().print(f"Word 申报表：{out}")
    if json_path:
        _write_json(report, json_path)
    _done(_exit_code(report))


@main.command()
@inputs_argument
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="汇总表 SUMMARY.xlsx 的保存位置。")
@json_option
@rules_option
@click.option("--city", help="设区市名称，如 沧州（用于标题和未报送县统计）；不填则按数据推断。")
@tables_option
@ledger_option
def consolidate(inputs, out_path, json_path, rules_path, city, tables, ledger_path):
    """校验并汇总区县报表，生成市级汇总表（附表）、补助测算、问题清单和报送情况。"""
    from xl_addin.declare.reference import default_clusters

    if city and default_clusters().match_city(city) is None:
        raise click.UsageError(f"“{city}”不是河北省设区市（含定州、辛集）。")
    prepared, forms = _tables_or_forms(inputs, rules_path, tables)
    if forms:          # the SME cluster programme: 附件4 推荐汇总表
        from xl_addin.forms.spec import load_form
        from xl_addin.forms.summary import write_cluster_docx, write_cluster_summary

        report = _run_forms(forms, rules_path, city)
        spec = load_form()
        outputs = [("推荐汇总表", write_cluster_summary(report, spec, out_path)),
                   ("推荐汇总表（Word）", write_cluster_docx(report, spec, Path(out_path).with_suffix(".docx")))]
        if json_path:
            outputs.append(("结果文件", _write_json(report, json_path)))
        _print_issues(report)
        _print_form_summary(report, outputs)
        _done(_exit_code(report))
    report = _run(inputs, rules_path, city=default_clusters().match_city(city) if city else None, tables=tables,
                  ledger_path=ledger_path, prepared=prepared)
    from xl_addin.render.summary_xlsx import write_summary     # after _run: pandas loads while workers read

    summary = write_summary(report, out_path, title=_load_rules(rules_path, tables).summary_title)
    outputs = [("汇总表", summary)]
    if json_path:
        outputs.append(("结果文件", _write_json(report, json_path)))
    _print_issues(report)
    _print_summary(report, outputs)
    _done(_exit_code(report))


@main.command()
@click.option("--out", "out_dir", default="xl_addin_demo", show_default=True, type=click.Path(file_okay=False),
              help="示例文件的输出文件夹。")
@click.option("--city", default="沧州", show_default=True, help="示例所用的设区市。")
@click.option("--seed", default=2026, show_default=True, help="随机种子（同一种子生成相同的示例）。")
def demo(out_dir, city, seed):
    """生成一个设区市的示例区县报表（含几处典型错误），并汇总成市级汇总表。"""
    from xl_addin.consolidate.pipeline import run
    from xl_addin.examples import generate_city, inject_mistakes, write_county_workbook
    from xl_addin.render.summary_xlsx import write_summary
    from xl_addin.declare.reference import default_clusters

    city_name = default_clusters().match_city(city)
    if city_name is None:
        raise click.UsageError(f"“{city}”不是河北省设区市（含定州、辛集）。")
    out = Path(out_dir)
    counties_dir = out / "区县报表"
    books = generate_city(city_name, seed=seed)
    notes = inject_mistakes(books)
    paths = [write_county_workbook(b, counties_dir / b.filename) for b in books]
    console = _console()
    console.print(f"已生成 {len(paths)} 个区县示例报表：{counties_dir}")
    console.print("其中故意设置的错误：\n" + "\n".join(f"  · {n}" for n in notes))
    rules = _load_rules(None)
    report = run([counties_dir], rules, city=city_name)
    ledger_path, ledger_notes = _demo_ledger(out, books, report, rules)
    console.print("示例台账（以往轮次和名单）：\n" + "\n".join(f"  · {n}" for n in ledger_notes))
    report = run([counties_dir], rules, city=city_name, ledger=_open_ledger(ledger_path, rules))
    summary = write_summary(report, out / "SUMMARY.xlsx")
    json_path = _write_json(report, out / "REPORT.json")
    _print_issues(report)
    _print_summary(report, [("汇总表", summary), ("结果文件", json_path), ("台账", ledger_path),
                            ("区县报表", counties_dir)])
    _demo_clusters(out, city_name, rules)


def _demo_clusters(out: Path, city: str, rules) -> None:
    """The SME cluster programme: county 申报表s (Excel and Word) into 附件4 推荐汇总表."""
    from xl_addin.forms.consolidate import expand, run_forms
    from xl_addin.forms.examples import write_demo_forms
    from xl_addin.forms.spec import load_form
    from xl_addin.forms.summary import write_cluster_docx, write_cluster_summary

    console = _console()
    folder = out / "集群申报表"
    paths, notes = write_demo_forms(city, folder)
    console.rule("中小企业特色产业集群")
    console.print(f"已生成 {len(paths)} 份示例申报表：{folder}")
    console.print("\n".join(f"  · {n}" for n in notes))
    report = run_forms(expand([folder]), rules, city=city)
    spec = load_form()
    outputs = [("推荐汇总表", write_cluster_summary(report, spec, out / "集群推荐汇总表.xlsx")),
               ("推荐汇总表（Word）", write_cluster_docx(report, spec, out / "集群推荐汇总表.docx")),
               ("结果文件", _write_json(report, out / "集群REPORT.json"))]
    _print_issues(report)
    _print_form_summary(report, outputs)


def _demo_ledger(out: Path, books, report, rules) -> tuple[Path, list[str]]:
    """A small ledger for the demo: the 领跑者 list without one of the demo's leaders, the fund
    managers without one investor, and a 2025 round that supported one of its equity projects."""
    from xl_addin.examples import write_list
    from xl_addin.declare.lists import read_list
    from xl_addin.read.csv_reader import read_any
    from xl_addin.declare.spec import load_specs

    path = out / "台账.sqlite"
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    ledger = _open_ledger(path, rules)
    from xl_addin.ledger import list_key

    leaders = list(dict.fromkeys(p.name for b in books for p in b.table1 if p.category == "领跑者"))
    accepted = [e.name for ents in report.enterprises.values() for e in ents if e.category == "领跑者"]
    left_out = next((n for n in accepted if n in leaders), None)
    equity = [e for ents in report.enterprises.values() for e in ents if e.estimate and e.values.get("investor")]
    notes = []
    if left_out:
        listed = write_list(out / "名单" / "2024年领跑者企业名单.xlsx", "leaders",
                            [{"name": n} for n in leaders if n != left_out])
        ledger.import_list("leaders", read_list(read_any(listed), "leaders"), 2024, listed.name)
        notes.append(f"“领跑者”企业名单（2024年）{len(leaders) - 1} 家，不含 {left_out}")
    investors = sorted({list_key(i.investor) for b in books for p in b.table2 for i in p.investments})
    if investors:
        funds = write_list(out / "名单" / "私募基金管理人名单.xlsx", "funds", [{"name": n} for n in investors[1:]])
        ledger.import_list("funds", read_list(read_any(funds), "funds"), None, funds.name)
        notes.append(f"私募基金管理人名单 {len(investors) - 1} 家，不含 {investors[0]}")
    data = report.to_dict()
    for kind in report.tables:
        section = data[kind]
        section["enterprises"] = [e for e in section["enterprises"] if equity and e["name"] == equity[0].name]
    counts = ledger.record(data, int(rules.raw["round"]["year"]) - 1, load_specs(), "示例：2025年度获批项目")
    if equity:
        notes.append(f"2025年度已支持：{equity[0].name} 的股权投资项目（{counts['equity']} 笔）")
    ledger.close()
    return path, notes


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--city", help="设区市名称，如 沧州；不填则按数据推断。")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="推荐报告 .docx 的保存位置。")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="落款日期（如 2026-11-22），默认今天。")
@click.option("--appendix/--no-appendix", default=False, help="附上未列入推荐的企业及原因（供市局存档）。")
@rules_option
@tables_option
def report(source, city, out_path, day, appendix, rules_path, tables):
    """根据汇总表（SUMMARY.xlsx）或结果文件（REPORT.json）生成市级推荐报告（附件2，含附表）。"""
    from xl_addin.render.docx_report import load_data, write_report
    from xl_addin.declare.reference import default_clusters

    rules, specs = _load_rules(rules_path, tables), _specs(tables)
    city_name = default_clusters().match_city(city) if city else None
    if city and city_name is None:
        raise click.UsageError(f"“{city}”不是河北省设区市（含定州、辛集）。")
    data = load_data(source, city_name, rules, specs)
    city_name = city_name or data.get("city")
    if not city_name:
        raise click.UsageError("无法从数据推断设区市，请用 --city 指定。")
    path = write_report(data, rules, city_name, out_path, day.date() if day else None, appendix, specs)
    s = data["summary"]
    _console().print(f"已生成：{path}\n申报单位 {s['units']} 个，项目 {s['projects']} 个")


@main.command()
@inputs_argument
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="输出文件夹。")
@rules_option
def declarations(inputs, out_dir, rules_path):
    """为每家通过校验的企业生成预填的真实性声明和项目情况表（.docx）。"""
    from xl_addin.render.docx_declarations import write_declarations

    report_ = _run(inputs, rules_path)
    paths = write_declarations(report_.to_dict(), _load_rules(rules_path), out_dir)
    _console().print(f"已为 {len(paths)} 家企业生成真实性声明及情况表：{out_dir}")
    if report_.errors:
        _console().print(f"另有 {len(report_.excluded)} 家企业因存在错误未生成，请先用 xl-addin validate 查看问题。")


@main.command("build-workbooks")
@click.option("--out", "out_dir", default="workbooks", show_default=True, type=click.Path(file_okay=False),
              help="输出文件夹。")
def build_workbooks(out_dir):
    """生成市级主工作簿（master.xlsm，带按钮）和区县报送模板（county_template.xlsx）。"""
    from xl_addin.excel.workbooks import build_all

    for path in build_all(out_dir):
        _console().print(f"已生成：{path}")


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="PDF 的保存文件夹，默认与原文件相同。")
def pdf(source, out_dir):
    """用 LibreOffice 把汇总表或报告转成可打印的 PDF。"""
    from xl_addin.render.office import OfficeMissing, convert

    try:
        path = convert(source, "pdf", out_dir)
    except OfficeMissing as exc:
        _console(stderr=True).print(f"[red]{exc}[/red]")
        sys.exit(EXIT_UNUSABLE)
    _console().print(f"已生成 PDF：{path}")


@main.command()
@click.option("--port", default=8765, show_default=True, help="本机端口。")
@click.option("--host", default=None, help="监听地址，默认只监听本机 127.0.0.1。指定其他地址会让局域网内的电脑也能访问。")
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器。")
def serve(port, host, no_browser):
    """在本机浏览器中使用（适合 WPS、禁用宏的电脑和 Mac）：打开页面，拖入区县报表即可校验汇总。"""
    if host and host not in ("127.0.0.1", "localhost"):
        _console(stderr=True).print(f"[yellow]警告：服务将监听 {host}，局域网内的其他电脑也可能访问本机的报表数据。"
                                    "如无必要，请不要使用 --host。[/yellow]")
    from xl_addin.web.server import serve as run_server

    _console().print(f"xl-addin 本机服务：http://127.0.0.1:{port}/ （按 Ctrl+C 退出）")
    run_server(port, host, open_browser=not no_browser)


@main.group()
def ledger():
    """台账（SQLite）：导入名单，记录获批轮次，查看内容。台账不存在时自动建立。"""


def _import(ledger_path, files, list_name, year):
    from xl_addin.read.csv_reader import read_any
    from xl_addin.read.grid import ReadError
    from xl_addin.declare.lists import read_list

    store = _open_ledger(ledger_path)
    total = 0
    try:
        for f in files:
            try:
                rows = read_list(read_any(f), list_name)
            except ReadError as exc:
                _console(stderr=True).print(f"[red]{Path(f).name}：无法读取（{exc.detail or exc.code}）[/red]")
                sys.exit(EXIT_UNUSABLE)
            if not rows:
                _console(stderr=True).print(f"[red]{Path(f).name}：没有找到名单的表头或数据行。[/red]")
                sys.exit(EXIT_UNUSABLE)
            total += store.import_list(list_name, rows, year, source=Path(f).name)
    finally:
        store.close()
    _console().print(f"已导入 {total} 行到台账：{ledger_path}")


ledger_argument = click.argument("ledger_path", type=click.Path(dir_okay=False))
files_argument = click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
year_option = click.option("--year", type=int, help="名单中没有年度列时使用的年度，如 2024。")


def _dated_list_command(command: str, list_name: str, doc: str) -> None:
    """`ledger import-leaders` / `import-pool`: a dated list, replaced a year at a time."""
    @ledger.command(command, help=doc)
    @ledger_argument
    @files_argument
    @year_option
    def run_import(ledger_path, files, year):
        _import(ledger_path, files, list_name, year)


_dated_list_command("import-leaders", "leaders", "导入省厅公布的“领跑者”企业名单（.xlsx/.xls/.csv）；同一年度重新导入即替换。")
_dated_list_command("import-pool", "pool", "导入“领跑者”企业培育库名单（.xlsx/.xls/.csv）；同一年度重新导入即替换。")


@ledger.command("import-funds")
@ledger_argument
@files_argument
def import_funds(ledger_path, files):
    """导入私募基金管理人名单（机构名称、登记编号）；重新导入即替换。"""
    _import(ledger_path, files, "funds", None)


@ledger.command("record")
@ledger_argument
@click.argument("report_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--round", "year", type=int, required=True, help="获批的申报年度，如 2025。")
def record(ledger_path, report_path, year):
    """省厅批复后，记录该轮通过的股权投资项目和设备发票；重复记录同一轮即替换。"""
    import json

    from xl_addin.declare.spec import load_specs

    try:
        data = json.loads(Path(report_path).read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        _console(stderr=True).print(f"[red]{Path(report_path).name} 不是有效的结果文件（REPORT.json）：{exc}[/red]")
        sys.exit(EXIT_UNUSABLE)
    store = _open_ledger(ledger_path)
    try:
        counts = store.record(data, year, load_specs(), source=Path(report_path).name)
    finally:
        store.close()
    _console().print(f"已记录 {year} 年度：股权投资项目 {counts['equity']} 个，发票 {counts['invoices']} 张，"
                     f"入库企业 {counts['pool']} 家。")


@ledger.command("show")
@ledger_argument
def show(ledger_path):
    """查看台账中的名单和已记录的轮次。"""
    store = _open_ledger(ledger_path)
    try:
        info = store.show()
    finally:
        store.close()
    names = {"leaders": "“领跑者”企业名单", "pool": "培育库名单", "funds": "私募基金管理人名单"}
    console = _console()
    console.print(f"台账：{info['path']}（版本 {info['schema']}）")
    for name, years in info["lists"].items():
        parts = "，".join(f"{y['year'] or '—'}年 {y['rows']} 行" if y["year"] else f"{y['rows']} 行" for y in years)
        console.print(f"  {names.get(name, name)}：{parts}")
    for r in info["rounds"]:
        console.print(f"  {r['year']} 年度：股权投资项目 {r['equity']} 个，发票 {r['invoices']} 张，入库企业 {r['pool']} 家"
                      f"（{r['recorded_at']} 记录自 {r['source']}）")
    if not info["lists"] and not info["rounds"]:
        console.print("  （空）")


def entry() -> None:
    """The console script. pandera imports hypothesis (for data synthesis) whenever it is
    installed, which costs ~0.1 s per button click and is never used here; a process
    started by the CLI opts out before anything imports pandera.

    After a run, the files are written and closed; freeing a province's objects one by one
    at interpreter exit would take the user's time for nothing (measured: 0.8-1.0 s of the
    consolidation at N = 1,000), so the process ends at once, its output flushed. Only the
    commands that end through _done do this; no atexit handler of theirs is skipped, as they
    register none (the web server, which does, never ends through _done)."""
    sys.modules.setdefault("hypothesis", None)
    try:
        main()
    except SystemExit as stop:
        if not _run_in_memory:
            raise
        code = stop.code
    else:
        code = 0
    gc.freeze()     # should flushing be slow, no collection walks the run's objects meanwhile
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


if __name__ == "__main__":  # pragma: no cover
    entry()
