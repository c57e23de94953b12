"""The ledger (台账): an embedded SQLite database of what must outlive a round.

It holds the reference lists (the province's 领跑者 list, the cultivation pool, the
registered fund managers) and what earlier rounds supported (the accepted equity projects,
the invoice numbers of accepted equipment, the enterprises recorded 入库). Every change is
one transaction (a killed process leaves the ledger as it was, or fully updated); WAL mode
lets readers work while a writer commits; the schema version is PRAGMA user_version, with
a migration per version."""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from xl_addin.normalize.values import key

SCHEMA_VERSION = 1
MIGRATIONS = {     # version -> the statements that bring a ledger from version - 1 to it
    1: [
        """CREATE TABLE lists (list TEXT NOT NULL, year INTEGER, name TEXT NOT NULL, name_key TEXT NOT NULL,
                               uscc TEXT, cluster TEXT, register_no TEXT, source TEXT)""",
        "CREATE INDEX lists_key ON lists (list, name_key)",
        "CREATE INDEX lists_uscc ON lists (list, uscc)",
        """CREATE TABLE rounds (year INTEGER PRIMARY KEY, recorded_at TEXT NOT NULL, source TEXT,
                                equity INTEGER NOT NULL, invoices INTEGER NOT NULL, pool INTEGER NOT NULL)""",
        """CREATE TABLE equity (year INTEGER NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL, uscc TEXT,
                                investor TEXT NOT NULL, investor_key TEXT NOT NULL, agreement_date TEXT)""",
        "CREATE INDEX equity_key ON equity (name_key, investor_key, agreement_date)",
        "CREATE TABLE invoices (year INTEGER NOT NULL, invoice TEXT NOT NULL, name TEXT, uscc TEXT)",
        "CREATE INDEX invoices_no ON invoices (invoice)",
        "CREATE TABLE recorded_pool (year INTEGER NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL, uscc TEXT)",
    ],
}
LISTS = ("leaders", "pool", "funds")
SQLITE_MAGIC = b"SQLite format 3\x00"


class LedgerError(Exception):
    """A file that is not a ledger, or a ledger this version cannot use; the message is Chinese."""


def invoice_key(text: object) -> str:
    return key(text).upper()


_NUMBERING = re.compile(r"^([（(]?\d{1,2}[)）.、．:：]|[（(]\d{1,2}[)）])")


def list_key(text: object) -> str:
    """A name as lists match it: its key without a leading row number (1.冀财基金 -> 冀财基金)."""
    return _NUMBERING.sub("", key(text))


@dataclass
class Ledger:
    path: Path
    db: sqlite3.Connection

    # --- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, create: bool = True) -> "Ledger":
        path = Path(path)
        if path.exists():
            with open(path, "rb") as fh:
                head = fh.read(16)
            if head and head != SQLITE_MAGIC:
                raise LedgerError(f"{path.name} 不是台账文件（不是 SQLite 数据库），未作任何修改。请检查文件名。")
        elif not create:
            raise LedgerError(f"找不到台账文件：{path}")
        try:
            db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
            db.execute("PRAGMA busy_timeout = 30000")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"台账文件 {path.name} 已损坏或不是台账（{exc}），未作任何修改。") from exc
        if version > SCHEMA_VERSION:
            db.close()
            raise LedgerError(f"台账文件 {path.name} 由更新版本的 xl_addin 建立（版本 {version}，本程序支持 "
                              f"{SCHEMA_VERSION}）。请升级 xl_addin 后再使用，文件未作任何修改。")
        if version == 0 and tables:
            db.close()
            raise LedgerError(f"{path.name} 是 SQLite 数据库，但不是 xl_addin 的台账，未作任何修改。")
        ledger = cls(path, db)
        ledger._migrate(version)
        return ledger

    def _migrate(self, version: int) -> None:
        if version == SCHEMA_VERSION:
            return
        self.db.execute("PRAGMA journal_mode = WAL")
        with self.transaction():
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[v]:
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {v}")

    def close(self) -> None:
        self.db.close()

    def transaction(self):
        return _Transaction(self.db)

    # --- lists -----------------------------------------------------------------------------
    def import_list(self, name: str, rows: list[dict], year: int | None = None, source: str = "") -> int:
        """Replace a list (for a dated list, the years the rows carry) by `rows`; one transaction."""
        with self.transaction():
            years = {r.get("year") or year for r in rows} if name != "funds" else {None}
            for y in years:
                if y is None:
                    self.db.execute("DELETE FROM lists WHERE list = ? AND year IS NULL", (name,))
                else:
                    self.db.execute("DELETE FROM lists WHERE list = ? AND year = ?", (name, y))
            self.db.executemany(
                "INSERT INTO lists (list, year, name, name_key, uscc, cluster, register_no, source) VALUES (?,?,?,?,?,?,?,?)",
                [(name, None if name == "funds" else (r.get("year") or year), r["name"], list_key(r["name"]), r.get("uscc"),
                  r.get("cluster"), r.get("register_no"), source) for r in rows])
        return len(rows)

    def has_list(self, name: str) -> bool:
        if name == "pool" and self.db.execute("SELECT 1 FROM recorded_pool LIMIT 1").fetchone():
            return True
        return self.db.execute("SELECT 1 FROM lists WHERE list = ? LIMIT 1", (name,)).fetchone() is not None

    def on_list(self, name: str, text: str | None, uscc: str | None) -> bool:
        """Match on the credit code when both sides have one, else on the normalized name."""
        k = list_key(text)
        queries = [("SELECT uscc, name_key FROM lists WHERE list = ? AND (uscc = ? OR name_key = ?)", (name, uscc, k))]
        if name == "pool":     # or recorded 入库 in an earlier round
            queries.append(("SELECT uscc, name_key FROM recorded_pool WHERE (uscc = ? OR name_key = ?) AND year < ?",
                            (uscc, k, self.year)))
        for sql, params in queries:
            for code, name_key in self.db.execute(sql, params):
                if uscc and code:
                    if code == uscc:
                        return True
                elif name_key == k:
                    return True
        return False

    # --- rounds ----------------------------------------------------------------------------
    year: int = 9999          # the current round: only rounds before it count as earlier

    def record(self, data: dict, year: int, specs, source: str = "") -> dict:
        """Record an approved round from its REPORT.json: replaces that round whole."""
        equity, invoices, pool = _round_rows(data, year, specs)
        with self.transaction():
            for table in ("equity", "invoices", "recorded_pool", "rounds"):
                self.db.execute(f"DELETE FROM {table} WHERE year = ?", (year,))
            self.db.executemany("INSERT INTO equity VALUES (?,?,?,?,?,?,?)", equity)
            self.db.executemany("INSERT INTO invoices VALUES (?,?,?,?)", invoices)
            self.db.executemany("INSERT INTO recorded_pool VALUES (?,?,?,?)", pool)
            self.db.execute("INSERT INTO rounds VALUES (?,?,?,?,?,?)",
                            (year, dt.datetime.now().isoformat(timespec="seconds"), source, len(equity),
                             len(invoices), len(pool)))
        return {"equity": len(equity), "invoices": len(invoices), "pool": len(pool)}

    def has_rounds(self) -> bool:
        return self.db.execute("SELECT 1 FROM rounds WHERE year < ? LIMIT 1", (self.year,)).fetchone() is not None

    def invoice_used(self, invoice: str) -> int | None:
        row = self.db.execute("SELECT year FROM invoices WHERE invoice = ? AND year < ? ORDER BY year LIMIT 1",
                              (invoice_key(invoice), self.year)).fetchone()
        return row[0] if row else None

    def equity_supported(self, name: str, uscc: str | None, investor: str, agreement: str | None) -> int | None:
        rows = self.db.execute("SELECT year, uscc, name_key FROM equity WHERE investor_key = ? AND "
                               "agreement_date IS ? AND year < ? AND (name_key = ? OR uscc = ?)",
                               (key(investor), agreement, self.year, key(name), uscc)).fetchall()
        for year, code, name_key in rows:
            if (uscc and code and code == uscc) or (not (uscc and code) and name_key == key(name)):
                return year
        return None

    def show(self) -> dict:
        lists = {}
        for name, year, n in self.db.execute("SELECT list, year, COUNT(*) FROM lists GROUP BY list, year ORDER BY list, year"):
            lists.setdefault(name, []).append({"year": year, "rows": n})
        rounds = [dict(zip(("year", "recorded_at", "source", "equity", "invoices", "pool"), r))
                  for r in self.db.execute("SELECT * FROM rounds ORDER BY year")]
        return {"path": str(self.path), "schema": SCHEMA_VERSION, "lists": lists, "rounds": rounds}


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any failure."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, exc, tb):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        return False


def _round_rows(data: dict, year: int, specs):
    """From REPORT.json: what each table's spec says a round records ([ledger]): the accepted
    equity rows, the invoice numbers of the accepted equipment rows, the enterprises
    accepted for 入库."""
    equity, invoices, pool = [], [], []
    for spec in specs:
        conf = spec.ledger
        if not conf or spec.id not in data:
            continue
        code = spec.header(conf["uscc"]) if conf.get("uscc") in spec.by_id else None
        for ent in data[spec.id]["enterprises"]:
            uscc = ent.get("uscc")
            for item in ent.get("items", []):
                uscc = (item.get(code) if code else None) or uscc
                if "equity" in conf:
                    investor = item.get(spec.header(conf["equity"]["investor"]))
                    day = item.get(spec.header(conf["equity"]["date"]))
                    if investor:
                        equity.append((year, ent["name"], key(ent["name"]), uscc, investor, key(investor),
                                       str(day)[:10] if day else None))
                if "invoice" in conf:
                    invoice = item.get(spec.header(conf["invoice"]))
                    if invoice:
                        invoices.append((year, invoice_key(invoice), ent["name"], uscc))
            entered = conf.get("pool")
            if entered and ent.get(entered["field"]) == entered["value"]:
                pool.append((year, ent["name"], key(ent["name"]), uscc))
    return equity, invoices, pool
