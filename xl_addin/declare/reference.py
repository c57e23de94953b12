"""The eligible-cluster list (data/clusters.csv, from 附件2 of the 2026 guide)
and matching of the county, city and cluster names officials type."""
from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

from xl_addin.normalize.values import key

_SUFFIXES = ("县", "市", "区")


@dataclass(frozen=True)
class Cluster:
    no: int
    city: str
    county: str
    name: str
    industry: str
    in_107: bool


class ClusterList:
    def __init__(self, clusters: list[Cluster]):
        self.clusters = clusters

    @classmethod
    def from_csv_text(cls, text: str) -> "ClusterList":
        rows = csv.DictReader(io.StringIO(text))
        return cls([Cluster(int(r["no"]), r["city"], r["county"], r["cluster"], r["industry"],
                            r["in_107"] == "是") for r in rows])

    # --- indexes -------------------------------------------------------------
    @cached_property
    def cities(self) -> list[str]:
        return list(dict.fromkeys(c.city for c in self.clusters))

    @cached_property
    def counties(self) -> list[str]:
        """Counties in cluster-list order (the order of the official summary)."""
        return list(dict.fromkeys(c.county for c in self.clusters))

    @cached_property
    def county_city(self) -> dict[str, str]:
        return {c.county: c.city for c in self.clusters}

    @cached_property
    def county_rank(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.counties)}

    @cached_property
    def _by_name(self) -> dict[str, Cluster]:
        return {key(c.name): c for c in self.clusters}

    @cached_property
    def _county_keys(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for county in self.counties:
            index[key(county)] = county
            stem = county[:-1] if county.endswith(_SUFFIXES) else county
            if len(stem) >= 2:  # 赵县 -> 赵 would be ambiguous; keep two-character stems only
                index.setdefault(stem, county)
        return index

    def county_aliases(self) -> list[tuple[str, str]]:
        """(short form, county) for the stems match_county also reads (任丘 -> 任丘市)."""
        return [(k, c) for k, c in self._county_keys.items() if k != key(c)]

    def cluster_aliases(self) -> list[tuple[str, str]]:
        """(short form, cluster) for the names match_cluster reads without 产业集群/集群."""
        out = []
        for c in self.clusters:
            for tail in ("产业集群", "集群"):
                if c.name.endswith(tail):
                    out.append((c.name[:-len(tail)], c.name))
        return out

    @cached_property
    def industries(self) -> list[str]:
        """The industry names of the list (装备制造, 食品, 钢铁 …), in list order."""
        return list(dict.fromkeys(c.industry for c in self.clusters))

    def match_industry(self, text: object) -> str | None:
        """An industry of the list from what officials type: 食品, 食品业, 食品行业, 食品工业."""
        k = key(text)
        if k in self.industries:
            return k
        for tail in ("行业", "工业", "产业", "业"):
            if k.endswith(tail) and k[: -len(tail)] in self.industries:
                return k[: -len(tail)]
        return None

    def counties_of(self, city: str) -> list[str]:
        return [c for c in self.counties if self.county_city[c] == city]

    # --- matching ------------------------------------------------------------
    def match_city(self, text: object) -> str | None:
        k = key(text)
        for prefix in ("河北省", "河北"):
            if k.startswith(prefix) and len(k) > len(prefix):
                k = k[len(prefix):]
        if k.endswith("市"):
            k = k[:-1]
        return k if k in self.cities else None

    def match_county(self, text: object) -> str | None:
        k = key(text)
        if not k:
            return None
        if k in self._county_keys:
            return self._county_keys[k]
        # "沧州市任丘市", "河北省沧州市献县": drop a leading province/city name
        for prefix in ("河北省", "河北"):
            if k.startswith(prefix):
                k = k[len(prefix):]
        for city in self.cities:
            for head in (city + "市", city):
                if k.startswith(head) and k[len(head):] in self._county_keys:
                    return self._county_keys[k[len(head):]]
        return self._county_keys.get(k)

    def match_cluster(self, text: object, county: str | None = None) -> Cluster | None:
        k = key(text).replace("（", "(").replace("）", ")")
        if not k:
            return None
        for candidate in (k, k + "产业集群", k + "集群"):
            if candidate in self._by_name:
                return self._by_name[candidate]
        if county:  # "纺织服装产业集群" typed inside 赵县's block
            inside = [c for c in self.clusters if c.county == county
                      and (key(c.name).endswith(k) or key(c.name).endswith(k + "产业集群"))]
            if len(inside) == 1:
                return inside[0]
        return None

    def suggest_cluster(self, text: object) -> str | None:
        close = difflib.get_close_matches(key(text), list(self._by_name), n=1, cutoff=0.6)
        return self._by_name[close[0]].name if close else None


@lru_cache(maxsize=1)
def default_clusters() -> ClusterList:
    text = resources.files("xl_addin.data").joinpath("clusters.csv").read_text("utf-8")
    return ClusterList.from_csv_text(text)
