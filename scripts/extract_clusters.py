"""Extract the eligible-cluster list (附件2 of seed 000) into xl_addin/data/clusters.csv.

The seed is the province's 2026 guide as plain text: after the caption
"可申报项目特色产业集群名单" every table cell sits on its own tab-indented line,
six cells per row (序号, 设区市, 县（市）, 集群名称, 行业, 107).

Usage: python scripts/extract_clusters.py [SEED] [OUT]
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SEED = HERE.parent.parent / "shared" / "seeds" / "000_01f75738b0045813.txt"
DEFAULT_OUT = HERE.parent / "xl_addin" / "data" / "clusters.csv"
HEADER = ["序号", "设区市", "县（市）", "集群名称", "行业", "107"]


def extract(text: str) -> list[list[str]]:
    start = text.index("可申报项目特色产业集群名单")
    cells = [ln.strip() for ln in text[start:].splitlines() if ln.startswith("\t") and ln.strip()]
    if cells[:6] != HEADER:
        raise ValueError(f"unexpected header: {cells[:6]}")
    body = cells[6:]
    if len(body) % 6:
        raise ValueError(f"{len(body)} cells is not a whole number of rows")
    rows = [body[i : i + 6] for i in range(0, len(body), 6)]
    for expected, row in enumerate(rows, start=1):
        if row[0] != str(expected) or row[5] not in ("是", "否"):
            raise ValueError(f"malformed row {expected}: {row}")
    return rows


def main(argv: list[str]) -> int:
    seed = Path(argv[1]) if len(argv) > 1 else DEFAULT_SEED
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    rows = extract(seed.read_text(encoding="utf-8"))
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["no", "city", "county", "cluster", "industry", "in_107"])
        writer.writerows(rows)
    print(f"{len(rows)} clusters -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
