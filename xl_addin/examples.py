"""Realistic example county workbooks for one city (the demo, tests, benchmarks).

`generate_city` makes the data (deterministic for a seed); `write_county_workbook`
lays it out the way county offices really do: a title, a 单位：万元 caption,
merged enterprise cells, template placeholder rows left in, a 合计 row, notes.
`inject_mistakes` plants one of each common mistake so the demo shows the
problem list at work."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from xl_addin.declare.reference import ClusterList, default_clusters
from xl_addin.declare.spec import Specs, load_specs

_WORDS = ["恒通", "华信", "金达", "宏业", "永盛", "鑫源", "润丰", "瑞达", "东方", "天宇", "博远", "中兴",
          "泰和", "嘉诚", "昌隆", "冀发", "正阳", "广元", "德隆", "新峰", "海晟", "明泰", "汇丰", "长城"]
_TRADES = {"装备制造": ["机械制造", "装备", "精密机械", "智能装备"], "石化": ["化工", "新材料", "石化"],
           "医药": ["药业", "生物科技", "医疗器械"], "食品": ["食品", "农业科技", "食品加工"],
           "纺织服装": ["服饰", "纺织", "皮革制品"], "建材": ["建材", "新型材料", "节能科技"],
           "轻工": ["制品", "包装", "玻璃制品"], "电子信息": ["电子", "通信技术", "信息技术"],
           "钢铁": ["金属材料", "特钢", "合金"], "其他": ["科技", "实业", "环境科技"]}
EQUIPMENT = {
    "研发": [("激光共聚焦显微镜", "新材料微观结构研究"), ("高效液相色谱仪", "新产品配方研发"),
             ("三维扫描仪", "新产品结构设计"), ("工业CT", "研发样件内部缺陷分析"), ("热分析仪", "材料热性能研究")],
    "试验": [("万能材料试验机", "产品力学性能试验"), ("高低温交变湿热试验箱", "环境可靠性试验"),
             ("疲劳试验机", "零部件疲劳寿命试验"), ("盐雾试验箱", "防腐性能试验")],
    "检验检测": [("三坐标测量机", "关键尺寸检测"), ("直读光谱仪", "原材料成分检验"),
                 ("X射线探伤机", "焊缝无损检测"), ("影像测量仪", "成品精度检验")],
    "先进生产设备": [("五轴联动加工中心", "精密零件加工"), ("激光切割机", "板材下料"),
                     ("工业机器人焊接工作站", "自动化焊接"), ("智能立体仓储系统", "物料自动存取")],
}
_LOCATIONS = ["一号车间", "二号车间", "研发中心实验室", "质检中心", "试验室", "装配车间"]
_INVESTORS = ["河北省冀财产业引导股权投资基金有限公司", "沧州渤海新区产业投资基金（有限合伙）",
              "深圳市创新投资集团有限公司", "北京中关村创业投资发展有限公司", "石家庄国控股权投资基金",
              "国投创合国家新兴产业创业投资引导基金", "河北建投新能源投资有限公司", "天津滨海创业投资有限公司"]
_EXIT = ["股权转让", "回购", "上市后减持", "—"]


@dataclass
class Equipment:
    category: str
    no: int
    name: str
    purpose: str
    location: str
    unit_price: float
    quantity: int

    @property
    def label(self) -> str:
        return f"{self.category}{self.no}：{self.name}"

    @property
    def total(self) -> float:
        return round(self.unit_price * self.quantity, 2)


@dataclass
class InnovationProject:
    name: str
    county: str
    cluster: str
    category: str                      # 领跑者 | 营收前三
    equipment: list[Equipment] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(e.total for e in self.equipment), 2)


@dataclass
class Investment:
    investor: str
    date: dt.date
    amount: float
    share: float
    exit_date: dt.date | None = None
    exit_method: str | None = None


@dataclass
class EquityProject:
    name: str
    city: str
    county: str
    cluster: str
    investments: list[Investment] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(i.amount for i in self.investments), 2)


@dataclass
class CountyBook:
    city: str
    county: str
    table1: list[InnovationProject] = field(default_factory=list)
    table2: list[EquityProject] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"{self.city}市{self.county}_领跑者项目申报表.xlsx"


def _company(rng: random.Random, county: str, industry: str, used: set[str]) -> str:
    stem = county[:-1] if county.endswith(("县", "市", "区")) and len(county) > 2 else county
    while True:
        name = f"{stem}{rng.choice(_WORDS)}{rng.choice(_TRADES.get(industry, _TRADES['其他']))}" \
               f"{rng.choice(['有限公司', '股份有限公司', '集团有限公司'])}"
        if name not in used:
            used.add(name)
            return name


def _innovation(rng, county, cluster, industry, used) -> InnovationProject:
    category = rng.choice(["领跑者", "营收前三"])
    kinds = ["研发", "试验", "检验检测"] + (["先进生产设备"] if category == "领跑者" else [])
    items, counters = [], {}
    for group in sorted(rng.sample(kinds, rng.randint(1, len(kinds))), key=kinds.index):
        for _ in range(rng.randint(1, 3)):
            counters[group] = counters.get(group, 0) + 1
            name, purpose = rng.choice(EQUIPMENT[group])
            price = round(rng.uniform(8, 260 if group == "先进生产设备" else 120), 2)
            items.append(Equipment(group, counters[group], name, purpose, rng.choice(_LOCATIONS),
                                   price, rng.choice([1, 1, 1, 2, 3])))
    project = InnovationProject(_company(rng, county, industry, used), county, cluster, category, items)
    while project.total < 60:  # keep clean examples above the 50万 threshold
        project.equipment[0].quantity += 1
    return project


def _equity(rng, city, county, cluster, industry, used) -> EquityProject:
    invs = []
    for k in range(rng.randint(1, 3)):
        day = dt.date(2022, 9, 1) + dt.timedelta(days=rng.randint(0, 1000))
        exited = rng.random() < 0.2
        invs.append(Investment(f"{k + 1}.{rng.choice(_INVESTORS)}", day, round(rng.uniform(300, 20000), 2),
                               round(rng.uniform(1, 20), 2),
                               day + dt.timedelta(days=rng.randint(200, 600)) if exited else None,
                               rng.choice(_EXIT[:3]) if exited else None))
    return EquityProject(_company(rng, county, industry, used), city, county, cluster, invs)


def generate_city(city: str = "沧州", seed: int = 2026, counties: int | None = None,
                  per_county: tuple[int, int] = (2, 5), clusters: ClusterList | None = None) -> list[CountyBook]:
    clusters = clusters or default_clusters()
    rng = random.Random(seed)
    names = clusters.counties_of(city)
    if counties is not None:
        names = names[:counties]
    used: set[str] = set()
    books = []
    for county in names:
        options = [c for c in clusters.clusters if c.county == county]
        book = CountyBook(city, county)
        for _ in range(rng.randint(*per_county)):
            c = rng.choice(options)
            book.table1.append(_innovation(rng, county, c.name, c.industry, used))
        for _ in range(rng.randint(0, 2)):
            c = rng.choice(options)
            book.table2.append(_equity(rng, city, county, c.name, c.industry, used))
        books.append(book)
    return books


# --- deliberate mistakes for the demo ------------------------------------------
def inject_mistakes(books: list[CountyBook], clusters: ClusterList | None = None) -> list[str]:
    """Plant common mistakes; returns a description of each, in Chinese."""
    clusters = clusters or default_clusters()
    notes = []
    b0, b1 = books[0], books[1 % len(books)]
    small = b0.table1[-1]
    small.equipment = small.equipment[:1]
    small.equipment[0].unit_price, small.equipment[0].quantity = 12.5, 2
    notes.append(f"{b0.county}：{small.name} 设备合计 25 万元，低于 50 万元门槛")
    top3 = next((p for b in books for p in b.table1 if p.category == "营收前三"), None)
    if top3:
        top3.equipment.append(Equipment("先进生产设备", 1, "数控折弯机", "钣金成型", "二号车间", 45.0, 1))
        notes.append(f"{top3.county}：{top3.name} 是营收前三企业，却申报了先进生产设备")
    other = next(c for c in clusters.clusters if c.county != b1.county and c.city == b1.city)
    b1.table1[0].cluster = other.name
    notes.append(f"{b1.county}：{b1.table1[0].name} 填报的集群“{other.name}”属于{other.county}")
    eq = next((p for b in books for p in b.table2), None)
    if eq:
        eq.investments[0].date = dt.date(2021, 6, 30)
        notes.append(f"{eq.county}：{eq.name} 股权协议签订于 2021-06-30，早于 2022-08-09")
    priced = books[-1].table1[0].equipment[0]
    priced.unit_price, priced.quantity = priced.unit_price * 10000, 1
    notes.append(f"{books[-1].county}：{books[-1].table1[0].name} 的设备金额疑似按“元”填写")
    if len(books) > 2:
        dup = books[0].table1[0]
        books[2].table1.append(InnovationProject(dup.name, books[2].county,
                                                 next(c.name for c in clusters.clusters if c.county == books[2].county),
                                                 dup.category, list(dup.equipment)))
        notes.append(f"{dup.name} 同时出现在{books[0].county}和{books[2].county}的报表中")
    return notes


# --- layout ----------------------------------------------------------------------
def _choice_text(spec, field_id: str, value: str) -> str:
    return next(o.text for o in spec.field(field_id).options if o.value == value)


def _sheet(wb, spec, title: str, blocks: list[list[dict]], merge: bool, trailer: list[list]):
    """One table sheet: a title, the 单位 caption, the official header, each enterprise's rows
    (its block cells on the first row, merged down when `merge`), then `trailer` rows."""
    from openpyxl.styles import Alignment, Font

    fields = [f for f in spec.official]
    ws = wb.create_sheet(spec.sheet)
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"单位：{spec.unit}"] if spec.unit else [])
    ws.append([f.header for f in fields])
    block = [c for c, f in enumerate(fields) if f.inherited]
    for rows in blocks:
        first = ws.max_row + 1
        for k, row in enumerate(rows):
            ws.append([row.get(f.id) if k == 0 or not f.inherited else None for f in fields])
            for c, f in enumerate(fields):
                if f.type == "date":
                    ws.cell(ws.max_row, c + 1).number_format = "yyyy-mm-dd"
        if merge and ws.max_row > first:
            for c in block:
                ws.merge_cells(start_row=first, start_column=c + 1, end_row=ws.max_row, end_column=c + 1)
                ws.cell(first, c + 1).alignment = Alignment(vertical="center", wrap_text=True)
    for row in trailer:
        ws.append(row)
    for c, f in enumerate(fields):
        ws.column_dimensions[ws.cell(3, c + 1).column_letter].width = f.width or 10
    return ws, fields


def write_county_workbook(book: CountyBook, path: str | Path, placeholders: bool = True,
                          merge: bool = True, text_dates: bool = False, specs: Specs | None = None) -> Path:
    """Write one county workbook as county offices fill the official template."""
    import openpyxl

    specs = specs or load_specs()
    t1, t2 = [s for s in specs if s.report.get("project")]   # equipment, then equity
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    blocks = []
    for p in book.table1:
        rows = [{"name": p.name, "county": p.county, "cluster": p.cluster,
                 "category": _choice_text(t1, "category", p.category), "equipment": e.label, "purpose": e.purpose,
                 "location": e.location, "unit_price": e.unit_price, "total": e.total} for e in p.equipment]
        if placeholders:
            rows.append({"equipment": "…"})
        blocks.append(rows)
    fields = [f.id for f in t1.official]
    total_row = [t1.summary.total] + [None] * (len(fields) - 2) + [round(sum(p.total for p in book.table1), 2)]
    _sheet(wb, t1, f"{book.county}申报重点特色产业集群创新发展项目汇总（{t1.sheet}）", blocks, merge,
           [total_row, ["备注：每家企业只填写申报项目对应的表格"]])
    blocks = []
    for p in book.table2:
        blocks.append([{"name": p.name, "city": p.city, "county": p.county, "cluster": p.cluster,
                        "investor": inv.investor,
                        "agreement_date": f"{inv.date.year}年{inv.date.month}月{inv.date.day}日" if text_dates else inv.date,
                        "amount": inv.amount, "share": inv.share, "exit_date": inv.exit_date,
                        "exit_method": inv.exit_method} for inv in p.investments])
    if placeholders and not book.table2:
        blocks.append([{"investor": "1.**", "agreement_date": "（年月日）", "exit_date": "（年月日）"}])
    _sheet(wb, t2, t2.title, blocks, merge, [["备注：每家企业只填写申报项目对应的表格"]])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_list(path: str | Path, list_name: str, rows: list[dict]) -> Path:
    """A reference list as the province publishes it (title, header, numbered rows, a note)."""
    import openpyxl

    from xl_addin.declare.spec import load_lists

    spec = load_lists()[list_name]
    fields = [f for f in spec.fields if f.type != "seq" and any(f.id in r for r in rows)] or [spec.field(spec.key)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = spec.sheet
    ws.append([spec.title])
    ws.append([spec.summary.number] + [f.header for f in fields])
    for n, row in enumerate(rows, start=1):
        ws.append([n] + [row.get(f.id) for f in fields])
    ws.append([f"注：以{spec.source}为准"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
