"""County forms -> the city's 推荐汇总表 (001 附件4): each form read, checked and drafted
into its 附件4 row; the quota checked per city (五（一）); one Report like the tables'."""
from __future__ import annotations

import re
from pathlib import Path

from xl_addin.declare.catalogue import ERROR
from xl_addin.model import InputResult, Issue, Report
from xl_addin.declare.reference import ClusterList, default_clusters
from xl_addin.declare.rules import Rules, load_rules
from xl_addin.forms.check import blank, check_record, fmt, number
from xl_addin.forms.locate import Record, locate_form
from xl_addin.forms.read import FormReadError, as_text, read_rows, sheet_names
from xl_addin.forms.spec import FormSpec, label_key, load_form

FORM_SUFFIXES = {".xlsx", ".xlsm", ".docx"}


def expand(paths: list[str | Path]) -> list[str]:
    """The inputs as the tables' runs expand them, with Word forms too."""
    from xl_addin.normalize.ingest import expand_inputs
    return expand_inputs(paths, FORM_SUFFIXES)


def is_form(path: str | Path, spec: FormSpec | None = None) -> bool:
    """A Word document, or a workbook with the form's sheets (most of the section sheets of
    the template): decided without reading the cells, so a run of county table workbooks
    pays nothing for it."""
    spec = spec or load_form()
    suffix = Path(path).suffix.lower()
    if suffix == ".docx":
        return True
    if suffix not in (".xlsx", ".xlsm"):
        return False
    names = {label_key(n) for n in sheet_names(path)}
    return sum(label_key(s.sheet) in names for s in spec.sections) >= len(spec.sections) // 2


def read_form(path: str, spec: FormSpec, rules: Rules, clusters: ClusterList) -> tuple[Record | None, list[Issue], dict]:
    try:
        rows = read_rows(path)
    except FormReadError as exc:
        return None, [Issue(path, None, None, None, exc.code, context={"detail": exc.detail})], {}
    rec = locate_form(rows, spec, path)
    if not all(any(label_key(k) in i.keys for i in spec.items if i.id in rec.found) for k in spec.identify):
        return None, [Issue(path, None, None, None, "table_not_found",
                            context={"tables": spec.title, "signatures": "、".join(f"“{k}”" for k in spec.identify)})], {}
    _place(rec, clusters)
    issues, derived = check_record(rec, spec, rules)
    return rec, issues, derived


def _place(rec: Record, clusters: ClusterList) -> None:
    """所在市 and 所在县 as the cluster list names them; from the cluster's name when the
    form leaves them blank (the cluster's name starts with its county: “XX（县、市、区）XX产业”)."""
    v = rec.values
    county = clusters.match_county(as_text(v["county"])) if not blank(v.get("county")) else None
    if county is None and not blank(v.get("name")):
        name = as_text(v["name"])
        county = next((c for c in sorted(clusters.counties, key=len, reverse=True) if name.startswith(c)), None) or \
            next((c for c in sorted(clusters.counties, key=len, reverse=True) if name.startswith(c.rstrip("市县区"))), None)
    if county:
        v["county"] = county
    city = clusters.match_city(as_text(v["city"])) if not blank(v.get("city")) else None
    v["city"] = city or (clusters.county_city.get(county) if county else v.get("city"))


def canonical(rec: Record, derived: dict, spec: FormSpec) -> dict:
    """The record as plain JSON values: numbers as numbers, texts stripped, derived computed."""
    out = {}
    for item in spec.items:
        v = rec.values.get(item.id)
        if item.derive:
            out[item.id] = derived.get(item.id) if derived.get(item.id) is not None else number(v)
        elif item.type == "years":
            out[item.id] = {str(y): _value(item.value_type, (v or {}).get(y)) for y in spec.years}
        elif item.type == "named_count":
            v = v or {}
            out[item.id] = {"count": number(v.get("count")), "names": None if blank(v.get("names")) else as_text(v["names"])}
        elif item.type == "standards":
            out[item.id] = {str(y): {c: {r: number(((v or {}).get(y, {}).get(c) or {}).get(r)) for r in ("lead", "join")}
                                     for c in item.extra["categories"]} for y in spec.years}
        elif item.type == "targets":
            out[item.id] = {r["id"]: {k: _value("text" if r["kind"] == "text" else "number", ((v or {}).get(r["id"]) or {}).get(k))
                                      for k in ("base", "target")} for r in item.extra["rows"]}
        elif item.type == "checks":
            out[item.id] = list(v or [])
        else:
            out[item.id] = _value(item.value_type, v)
    return out


def _value(kind: str, v):
    if blank(v):
        return None
    if kind in ("number", "percent", "rate", "count"):
        x = number(v)
        return x if x is not None else as_text(v)
    return re.sub(r"\s*\n\s*", "\n", as_text(v))


def intro(record: dict, spec: FormSpec, limit: int) -> str:
    """附件4's 集群简介 drafted from the figures its note lists, within `limit` characters."""
    last = str(spec.years[-1])

    def y(item_id):
        return (record.get(item_id) or {}).get(last)

    std = record.get("standards") or {}
    led = sum((std.get(str(yr), {}).get(c, {}).get("lead") or 0) for yr in spec.years for c in ("国家", "行业"))
    values = {
        "name": record.get("name"), "industry": record.get("industry"), "output": y("output"), "smes": y("smes"),
        "specialized": y("specialized"), "giants": y("giants"),
        "champions": None if y("champions_national") is None and y("champions_provincial") is None
        else (y("champions_national") or 0) + (y("champions_provincial") or 0),
        "standards": led if std else None, "patents": record.get("patents"),
        "per_10k": record.get("patents_per_10k"), "year": last,
    }
    shown = {k: fmt(v) if isinstance(v, (int, float)) else v for k, v in values.items()}
    sentences = []
    for alternatives in spec.intro:
        usable = [t for t in alternatives if all(shown.get(k) not in (None, "") for k in re.findall(r"{(\w+)}", t))]
        if usable:
            sentences.append(usable[0].format(**shown))
    text = "".join(sentences)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def run_forms(paths: list[str], rules: Rules | None = None, clusters: ClusterList | None = None,
              spec: FormSpec | None = None, city: str | None = None, progress=None) -> Report:
    rules, clusters, spec = rules or load_rules(), clusters or default_clusters(), spec or load_form()
    cfg = rules.get("cluster")
    inputs, issues, clusters_out = [], [], []
    for n, path in enumerate(paths, start=1):
        rec, found, derived = read_form(path, spec, rules, clusters)
        result = InputResult(path)
        issues += found
        if rec is None:
            result.status, result.reason = "rejected", found[0].code
        else:
            record = canonical(rec, derived, spec)
            errors = [i for i in found if i.severity == ERROR]
            result.rows_read = 1
            result.rows_accepted, result.rows_rejected = (0, 1) if errors else (1, 0)
            result.counties = [record["county"]] if record.get("county") else []
            draft = intro(record, spec, cfg["intro_max"])
            if draft.endswith("…"):          # 附件4: 集群简介（300字以内）
                issues.append(Issue(path, None, None, spec.summary["columns"][-1], "text_too_long", None,
                                    draft[:20], {"length": len(re.sub(r"\s", "", draft)), "limit": cfg["intro_max"]}))
            entry = {"name": record.get("name"), "city": record.get("city"), "county": record.get("county"),
                     "operator": record.get("operator"), "industry": record.get("industry"),
                     "founded": record.get("founded"), "intro": draft,
                     "indicators": {k: v for k, v in record.items() if k not in derived},
                     "derived": {k: record.get(k) for k in derived}, "path": path, "accepted": not errors}
            clusters_out.append(entry)
        inputs.append(result)
        if progress:
            progress(n, len(paths), path)
    issues += _quota(clusters_out, cfg)
    # every form read is in REPORT.json (`accepted`: no error); 附件4 lists the accepted ones
    clusters_out.sort(key=lambda c: (c["city"] or "", c["county"] or "", c["name"] or ""))
    shown = [c for c in clusters_out if c["accepted"]]
    cities = sorted({c["city"] for c in clusters_out if c["city"]})
    report = Report(inputs, issues, {"clusters": clusters_out}, {"forms": len(clusters_out), "clusters": len(shown)},
                    city=city or (cities[0] if len(cities) == 1 else None))
    report.excluded = [{"name": c["name"], "path": c["path"]} for c in clusters_out if not c["accepted"]]
    return report


def _quota(forms: list[dict], cfg: dict) -> list[Issue]:
    """五（一）: at most 4 clusters per city (2 for 定州, 辛集, 雄安新区). Every form of a city
    over its quota gets the issue and none is dropped: the city chooses what to withdraw."""
    out = []
    by_city: dict[str, list[dict]] = {}
    for f in forms:
        if f["city"]:
            by_city.setdefault(f["city"], []).append(f)
    for city, group in sorted(by_city.items()):
        quota = cfg["quota_small"] if city in cfg["quota_small_areas"] else cfg["quota"]
        if len(group) > quota:
            names = "、".join(f["name"] or Path(f["path"]).name for f in group)
            for f in group:
                out.append(Issue(f["path"], None, None, None, "quota_exceeded",
                                 context={"city": city, "count": len(group), "names": names, "quota": quota}))
    return out
