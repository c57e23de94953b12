"""The county template checks itself: spreadsheet formulas that mirror xl_addin's own checks.

County PCs often run WPS, block macros or have no Python; every spreadsheet program runs
formulas, data validation and conditional formatting. From a table spec and the rules this
module derives, per check xl_addin runs, a formula that is TRUE on the rows it fails, in
hidden helper columns right of the 校验提示 column:

- `_data` (the row holds anything), `_block` (the row of its enterprise's first row: the
  name cell carried down, as the reader does) and the enterprise's value of each inherited
  field (blank continuation rows take the block's);
- per check: 0, 1 (fails, but the cell the issue points at is the block's first row) or 2
  (fails here), errors first, so `_err` (the row's errors; the enterprise sums leave such
  rows out, as consolidation does) is one COUNTIF;
- `_n` (problems shown on the row) and `_msgs`, from which 校验提示 shows the messages.

Numbers the checks compare with (threshold, date windows, keywords) and the messages are
written from rules.toml and the catalogue to the hidden 校验规则 sheet at build time; no
formula types them. Only functions that Excel 2010+, WPS and LibreOffice share are used
(FUNCTIONS; the README lists them); no dynamic arrays."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from xl_addin.declare.catalogue import CATALOGUE, ERROR
from xl_addin.check.checks import fmt
from xl_addin.locate.headers import xl_col_to_name
from xl_addin.declare.rules import Rules
from xl_addin.declare.spec import Field, Option, TableSpec

RULES_SHEET = "校验规则"
R, P = "#R#", "#P#"  # the row of a formula and the row above, filled per row
FUNCTIONS = ("ABS", "AND", "COUNTIF", "COUNTIFS", "DATEVALUE", "IF", "IFERROR", "INDEX", "INT", "ISNUMBER", "LEFT",
             "LEN", "MATCH", "NOT", "OFFSET", "OR", "ROUND", "ROW", "SEARCH", "SUBSTITUTE", "SUM", "SUMIFS",
             "SUMPRODUCT", "TRIM", "VALUE")
TYPE_CODES = {"amount": "amount_invalid", "cluster": "cluster_unknown", "city": "city_unknown"}


def filled(ref: str) -> str:
    return f'TRIM({ref})<>""'


def blank(ref: str) -> str:
    return f'TRIM({ref})=""'


def _strip(ref: str, pairs) -> str:
    text = f"TRIM({ref})"
    for old, new in pairs:
        text = f'SUBSTITUTE({text},"{old}","{new}")'
    return text


def num(ref: str) -> str:
    """An amount as the reader reads it (numbers; text such as 30、30万元、1,000); 0 when unreadable."""
    text = _strip(ref, (("万元", ""), ("万", ""), (",", "")))
    return f"IF(ISNUMBER({ref}),{ref},IFERROR(VALUE({text}),0))"


def day(ref: str) -> str:
    """A date's serial number (dates; text such as 2023-05-08、2023年5月8日、2023.5.8、2023/5/8,
    all made Y-M-D, which every program's DATEVALUE reads whatever its locale); 0 when not a date."""
    text = _strip(ref, (("年", "-"), ("月", "-"), ("日", ""), (".", "-"), ("/", "-")))
    return f"INT(IF(ISNUMBER({ref}),{ref},IFERROR(DATEVALUE({text}),0)))"   # INT: a date's time of day is not its day


def literals(pattern: str) -> list[str]:
    """The texts a simple pattern of the specs matches: literal characters, (a|b) groups and
    `?` after a group, e.g. "(营收|收入)(排名)?前(三|3)". Anything else is not for formulas."""
    out, i = [""], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "(":
            end = pattern.index(")", i)
            alts = pattern[i + 1:end].split("|")
            i = end + 1
            if i < len(pattern) and pattern[i] == "?":
                alts, i = alts + [""], i + 1
        elif ch in ".*+[]{}\\^$|?":
            raise ValueError(f"pattern {pattern!r} is not a plain alternation")
        else:
            alts, i = [ch], i + 1
        out = [o + a for o in out for a in alts]
    return out


def option_texts(option: Option) -> list[str]:
    texts = [option.text]
    for p in option.patterns:
        try:
            texts += literals(p.pattern)
        except ValueError:
            pass
    return list(dict.fromkeys(t for t in texts if t))


@dataclass(frozen=True)
class Cond:
    """One check as a formula: `hit` is TRUE on a row that fails it ({R} is the row)."""
    code: str
    field: str
    hit: str
    context: dict = field(default_factory=dict, compare=False)

    @property
    def severity(self) -> str:
        return CATALOGUE[self.code].severity

    def message(self, spec: TableSpec) -> str:
        return CATALOGUE[self.code].hint.format(column=spec.header(self.field), **self.context)


class RulesRange:
    """The hidden 校验规则 sheet: the values the formulas compare with, and their messages."""

    def __init__(self):
        self.values: list[tuple[str, object, str]] = []   # (entry, value, source), one row each
        self.messages: list[tuple[str, str]] = []         # (sheet!code:field, message)

    def value(self, rules: Rules, dotted: str, key: str | None = None) -> str:
        """A rules entry (a list: one row per item) as an absolute reference."""
        label = f"{dotted}.{key}" if key else dotted
        value = rules.get(dotted)[key] if key else rules.get(dotted)
        section = rules.get(dotted.split(".")[0])
        source = str(section.get("source", "")) if isinstance(section, dict) else ""
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        first = len(self.values) + 2
        self.values += [(label, v, source) for v in items]
        last = len(self.values) + 1
        return f"'{RULES_SHEET}'!$B${first}" + (f":$B${last}" if len(items) > 1 else "")

    def message(self, key: str, text: str) -> str:
        self.messages.append((key, text))
        return f"'{RULES_SHEET}'!$F${len(self.messages) + 1}"

    def write(self, wb, formats: dict) -> None:
        ws = wb.add_worksheet(RULES_SHEET)
        for c, h in enumerate(["规则", "取值", "依据", "", "校验", "提示"]):
            if h:
                ws.write_string(0, c, h, formats["head"])
        for r, (label, value, source) in enumerate(self.values, start=1):
            ws.write_string(r, 0, label)
            if isinstance(value, dt.date):
                ws.write_datetime(r, 1, dt.datetime(value.year, value.month, value.day), formats["entry_date"])
            elif isinstance(value, (int, float)):
                ws.write_number(r, 1, value)
            else:
                ws.write_string(r, 1, str(value))
            ws.write_string(r, 2, source)
        for r, (key, text) in enumerate(self.messages, start=1):
            ws.write_string(r, 4, key)
            ws.write_string(r, 5, text)
        for c, w in enumerate((30, 16, 30, 2, 34, 50)):
            ws.set_column(c, c, w)
        ws.protect()
        ws.hide()


@dataclass(frozen=True)
class Lists:
    """Ranges of 集群名单 the formulas look up (absolute references)."""
    names: str            # cluster names
    cluster_counties: str  # the county of each cluster (same rows)
    cluster_cities: str   # the city of each cluster (same rows)
    cities: str
    counties: str = ""
    # (short form, full name) columns: what the reader also reads (任丘 -> 任丘市, a cluster
    # without 产业集群), so the formulas read it the same
    county_alias: tuple[str, str] = ("", "")
    cluster_alias: tuple[str, str] = ("", "")


class SelfCheck:
    """The formulas of one table sheet of the template (rows first..last, 1-based)."""

    def __init__(self, spec: TableSpec, fields: list[Field], rules: Rules, required: set[str], lists: Lists,
                 rules_range: RulesRange, first: int, last: int):
        self.spec, self.fields, self.rules, self.required = spec, fields, rules, required
        self.lists, self.rr, self.first, self.last = lists, rules_range, first, last
        self.col = {f.id: xl_col_to_name(c) for c, f in enumerate(fields)}
        n = len(fields)
        self.hint_col = n                                  # 0-based: the 校验提示 column
        summed = [c.field for c in spec.enterprise_checks if c.fn == "sum_at_least" and c.field in self.col]
        # "_county": the enterprise's county; "#total": the amount an enterprise check sums, as a number
        names = ["_data", "_block"] + [f"_{f.id}" for f in fields if f.inherited] + [f"#{f}" for f in summed] + ["_err"]
        self.index = {name: n + 1 + i for i, name in enumerate(names)}     # 0-based helper columns
        self.helper = {name: xl_col_to_name(i) for name, i in self.index.items()}
        self.conds = self._row_conds()
        self.conds.sort(key=lambda c: c.severity != ERROR)      # errors first: `_err` is one range
        self.enterprise = self._enterprise_conds()
        start = n + 1 + len(names)
        everything = self.conds + self.enterprise
        self.cond_index = [start + i for i in range(len(everything))]
        self.index.update({"_n": start + len(everything), "_msgs": start + len(everything) + 1})
        self.helper = {name: xl_col_to_name(i) for name, i in self.index.items()}
        self.cond_col = [xl_col_to_name(i) for i in self.cond_index]
        self.last_col = self.index["_msgs"]
        self.message_refs = [self.rr.message(f"{spec.sheet}!{c.code}:{c.field}", c.message(spec)) for c in everything]

    # --- references -------------------------------------------------------------------
    def cell(self, field_id: str) -> str:
        return f"${self.col[field_id]}{R}"

    def value(self, field_id: str) -> str:
        """The field's value on the row: an inherited field's is the enterprise's."""
        name = f"_{field_id}"
        return f"${self.helper[name]}{R}" if name in self.helper else self.cell(field_id)

    def column(self, letter: str, first: int | None = None, last: int | None = None) -> str:
        return f"${letter}${first or self.first}:${letter}${last or self.last}"

    def h(self, name: str) -> str:
        return f"${self.helper[name]}{R}"

    def has(self, *field_ids: str) -> bool:
        return all(f in self.col for f in field_ids)

    # --- the checks -------------------------------------------------------------------
    def _row_conds(self) -> list[Cond]:
        out = []
        for f in self.fields:
            v = self.value(f.id)
            if f.id in self.required:
                out.append(Cond("required_missing", f.id, blank(v)))
            code = f.invalid or TYPE_CODES.get(f.type)
            test = self._type_test(f, v)
            if code and test:
                out.append(Cond(code, f.id, f"AND({filled(v)},{test})"))
        for c in self.spec.checks:
            make = getattr(self, f"_check_{c.fn}", None)
            involved = [c.field] + [a for k, a in c.args.items() if k in ("other", "county")]
            if make is None or not self.has(*involved):
                continue      # a check formulas cannot do (the ledger's) or on a column not in the template
            hit, context = make(c.field, c.args)
            out.append(Cond(c.code, c.field, hit, context))
        return out

    def _type_test(self, f: Field, v: str) -> str | None:
        """The formula that is TRUE when a filled cell is not of its type."""
        if f.type == "amount":
            return f"NOT({num(v)}>0)"
        if f.type == "percent":
            p = f'IFERROR(VALUE(SUBSTITUTE(TRIM({v}),"%","")),-1)'
            return f"NOT(AND({p}{'>=' if f.zero_allowed else '>'}0,{p}<=100))"
        if f.type == "date" and f.invalid:
            return f"{day(v)}=0"
        if f.type == "enum" and f.options:
            if f.match == "prefix":
                return f"NOT(OR({','.join(self._starts(v, o) for o in f.options)}))"
            return f"({self._hits(v, f.options)})<>1"
        if f.type == "cluster":
            return f"COUNTIF({self.lists.names},TRIM({v}))=0"
        if f.type == "city":
            return f"COUNTIF({self.lists.cities},{self._city(v)})=0"
        return None

    def _canonical(self, f: Field, text: str) -> str:
        """A county or cluster as the list names it, when typed short (任丘 -> 任丘市)."""
        full, alias = {"county": (self.lists.counties, self.lists.county_alias),
                       "cluster": (self.lists.names, self.lists.cluster_alias)}.get(f.type, ("", ("", "")))
        if not full or not alias[0]:
            return text
        short, name = alias
        return f"IF(COUNTIF({full},{text})>0,{text},IFERROR(INDEX({name},MATCH({text},{short},0)),{text}))"

    @staticmethod
    def _city(v: str) -> str:
        return f'SUBSTITUTE(TRIM({v}),"市","")'

    @staticmethod
    def _starts(v: str, option: Option) -> str:
        return "OR(" + ",".join(f'LEFT(TRIM({v}),{len(t)})="{t}"' for t in option_texts(option)) + ")"

    @staticmethod
    def _contains(v: str, option: Option) -> str:
        return "OR(" + ",".join(f'ISNUMBER(SEARCH("{t}",{v}))' for t in option_texts(option)) + ")"

    def _hits(self, v: str, options) -> str:
        return "+".join(f"{self._contains(v, o)}*1" for o in options)

    def _is(self, f: Field, v: str, value: str) -> str:
        """The field's value reads as the option `value` (as the reader's choice() decides)."""
        option = next(o for o in f.options if o.value == value)
        if f.match == "prefix":     # the first option whose pattern starts the text
            before = [o for o in f.options[:f.options.index(option)]]
            return f"AND({self._starts(v, option)}" + "".join(f",NOT({self._starts(v, o)})" for o in before) + ")"
        return f"AND(({self._hits(v, f.options)})=1,{self._contains(v, option)})"

    def _check_value_only_for(self, f_id, args):
        f, other = self.spec.field(f_id), self.spec.field(args["other"])
        allowed = set(self.rules.get(args["allowed"]))
        o = self.value(other.id)
        others = [self._is(other, o, opt.value) for opt in other.options if opt.value not in allowed]
        return f"AND({self._is(f, self.value(f_id), args['value'])},OR({','.join(others)}))", {}

    def _pair(self, f_id, args):
        a, b = num(self.value(f_id)), num(self.value(args["other"]))
        return a, b, {"other": self.spec.header(args["other"])}

    def _check_not_less_than(self, f_id, args):
        a, b, ctx = self._pair(f_id, args)
        return f"AND({a}>0,{b}>0,{a}<{b}-1E-9)", ctx

    def _check_multiple_of(self, f_id, args):
        a, b, ctx = self._pair(f_id, args)
        # IF, not AND: neither Excel's nor LibreOffice's AND stops at the first FALSE (b = 0)
        return f"IF(AND({b}>0,{a}>={b}),ABS({a}/{b}-ROUND({a}/{b},0))>=1E-6,FALSE)", ctx

    def _check_at_most(self, f_id, args):
        limit = self.rr.value(self.rules, args["limit"])
        return f"{num(self.value(f_id))}>{limit}", {"limit": fmt(self.rules.get(args["limit"]))}

    def _check_no_keyword(self, f_id, args):
        words = self.rr.value(self.rules, args["keywords"])
        return f"SUMPRODUCT(ISNUMBER(SEARCH({words},{self.value(f_id)}))*1)>0", {}

    def _check_cluster_in_county(self, f_id, args):
        L, cl, county = self.lists, f"TRIM({self.value(f_id)})", self.value(args["county"])
        return (f"AND(COUNTIF({L.names},{cl})>0,{filled(county)},"
                f"COUNTIFS({L.names},{cl},{L.cluster_counties},TRIM({county}))=0)"), {}

    def _check_county_in_city(self, f_id, args):
        L, city, county = self.lists, self._city(self.value(f_id)), self.value(args["county"])
        return (f"AND(COUNTIF({L.cities},{city})>0,{filled(county)},"
                f"COUNTIFS({L.cluster_cities},{city},{L.cluster_counties},TRIM({county}))=0)"), {}

    def _check_date_after(self, f_id, args):
        d, limit = day(self.value(f_id)), self.rr.value(self.rules, args["limit"])
        return f"AND({d}>0,{d}<={limit})", {"limit": fmt(self.rules.get(args["limit"]))}

    def _check_not_before(self, f_id, args):
        a, b = day(self.value(f_id)), day(self.value(args["other"]))
        return f"AND({a}>0,{b}>0,{a}<{b})", {"other": self.spec.header(args["other"])}

    def _check_date_within(self, f_id, args):
        d = day(self.value(f_id))
        start, end = (self.rr.value(self.rules, args["window"], k) for k in ("start", "end"))
        window = self.rules.get(args["window"])
        return f"AND({d}>0,OR({d}<{start},{d}>{end}))", {"start": fmt(window["start"]), "end": fmt(window["end"])}

    def _enterprise_conds(self) -> list[Cond]:
        """Enterprise checks on the rows without errors, shown on the enterprise's first such row."""
        out = []
        key = self.spec.key
        for c in self.spec.enterprise_checks:
            if c.fn != "sum_at_least" or not self.has(key, c.field):
                continue
            name, err, data = self.value(key), self.h("_err"), self.h("_data")
            names, errs, datas = (self.column(self.helper[n]) for n in (f"_{key}", "_err", "_data"))
            above = [f"${self.helper[n]}${self.first - 1}:${self.helper[n]}{P}" for n in (f"_{key}", "_err", "_data")]
            limit = self.rr.value(self.rules, c.args["limit"])
            # rounded to the cent, as consolidation sums money (10.1 + 39.9 is not below 50)
            total = f"ROUND(SUMIFS({self.column(self.helper['#' + c.field])},{names},{name},{errs},0,{datas},1),2)"
            first_ok = f"COUNTIFS({above[0]},{name},{above[1]},0,{above[2]},1)=0"
            hit = f"AND({data}=1,{err}=0,{filled(name)},{first_ok},{total}<{limit})"
            out.append(Cond(c.code, c.field, hit, {"threshold": fmt(self.rules.get(c.args["limit"]))}))
        return out

    # --- the formulas -----------------------------------------------------------------
    def _gate(self, field_id: str) -> str:
        """TRUE where the issue of a failing check points at this row: an inherited field's
        blank continuation cell is the block's first row's."""
        if f"_{field_id}" not in self.helper:
            return "TRUE"
        return f"OR({filled(self.cell(field_id))},{self.h('_block')}=ROW(),{self.h('_block')}=0)"

    def formulas(self) -> list[tuple[int, str]]:
        """(0-based column, formula with {R}) of every helper and of 校验提示, for one row."""
        out = []
        first_col, last_col = self.col[self.fields[0].id], self.col[self.fields[-1].id]
        out.append((self.index["_data"], f"=IF(SUMPRODUCT(LEN(TRIM(${first_col}{R}:${last_col}{R})))>0,1,0)"))
        key_cell = self.cell(self.spec.key)
        out.append((self.index["_block"],
                    f"=IF(AND({self.h('_data')}=1,{filled(key_cell)}),ROW(),"
                    f"IF(ROW()={self.first},0,${self.helper['_block']}{P}))"))
        for f in self.fields:
            if f"_{f.id}" in self.helper:
                x = self.cell(f.id)
                above = f"INDEX(${self.col[f.id]}$1:${self.col[f.id]}${self.last},{self.h('_block')})"
                own, inherited = (self._city(x), self._city(above)) if f.type == "city" else \
                    (self._canonical(f, f"TRIM({x})"), self._canonical(f, f"TRIM({above})"))
                out.append((self.index[f"_{f.id}"],
                            f"=IF({filled(x)},{own},IF({self.h('_block')}>0,{inherited},\"\"))"))
        for name in self.helper:
            if name.startswith("#"):     # an amount the enterprise checks sum, read as the reader reads it
                out.append((self.index[name], f"={num(self.cell(name[1:]))}"))
        n_err = sum(c.severity == ERROR for c in self.conds)
        first_cond = self.cond_col[0] if self.cond_col else None
        out.append((self.index["_err"],
                    f'=COUNTIF(${first_cond}{R}:${self.cond_col[n_err - 1]}{R},">0")' if n_err else "=0"))
        for i, c in enumerate(self.conds):
            # IFERROR: a value no formula foresaw leaves its check silent, not every message broken
            out.append((self.cond_index[i],
                        f"=IFERROR(IF(AND({self.h('_data')}=1,{c.hit}),IF({self._gate(c.field)},2,1),0),0)"))
        for j, c in enumerate(self.enterprise, start=len(self.conds)):
            out.append((self.cond_index[j], f"=IFERROR(IF({c.hit},2,0),0)"))
        if self.cond_col:
            out.append((self.index["_n"], f"=COUNTIF(${first_cond}{R}:${self.cond_col[-1]}{R},2)"))
            parts = [f'IF(${col}{R}=2,{ref}&"；","")' for col, ref in zip(self.cond_col, self.message_refs)]
            out.append((self.index["_msgs"], "=" + "&".join(parts)))
        else:
            out += [(self.index["_n"], "=0"), (self.index["_msgs"], '=""')]
        msgs = self.h("_msgs")
        out.append((self.hint_col, f'=IF({msgs}="","",LEFT({msgs},LEN({msgs})-1))'))
        return out

    def count_formula(self) -> str:
        total = f"SUM({self.column(self.helper['_n'])})"
        return f'=IF({total}=0,"未发现问题","共发现 "&{total}&" 处问题")'

    def highlight(self) -> dict[str, str]:
        """field id -> the conditional-format formula (first data row) of its failing cells."""
        by_field: dict[str, list[str]] = {}
        for col, c in zip(self.cond_col, self.conds + self.enterprise):
            by_field.setdefault(c.field, []).append(f"${col}{self.first}=2")
        return {f: f"=OR({','.join(tests)})" for f, tests in by_field.items()}

    def covered(self) -> list[tuple[str, str, str]]:
        """(code, field, message) of every check the formulas make."""
        return [(c.code, c.field, c.message(self.spec)) for c in self.conds + self.enterprise]

    @staticmethod
    def row(formula: str, r: int) -> str:
        return formula.replace(P, str(r - 1)).replace(R, str(r))
