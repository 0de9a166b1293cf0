"""Agency names → one agency: the region from cpca's division data, the body by aliases.

岭东区人民政府, 双鸭山市岭东区人民政府 and 岭东区政府 all resolve to 黑龙江省/双鸭山市/岭东区
with the body 人民政府, so they share the key ``230503|人民政府``. A name whose place cpca
does not know keeps its own (squeezed) name as key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from nianbao.normalize import squeeze


@dataclass(frozen=True)
class Resolved:
    key: str
    province: str | None
    city: str | None
    county: str | None
    level: str | None
    adcode: str | None


@cache
def _config() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("agencies.toml").read_text("utf-8")
    return tomllib.loads(text)


def _unit(name: object) -> str | None:
    """A division name from cpca, or None for a missing level or a placeholder (市辖区)."""
    if not isinstance(name, str) or len(name) < 2 or name in _config()["placeholders"]:
        return None
    return name


@lru_cache(maxsize=1)
def _cpca() -> Any:
    """cpca, imported on first use (its division tables load in about half a second). It reads
    them through setuptools' pkg_resources (kept by the `setuptools<81` pin), whose import
    warns that it is deprecated: not a message for our users."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import cpca
    return cpca


def _division(name: str) -> Any:
    """cpca's reading of one name (省, 市, 区, adcode). ``transform`` wraps its matcher's answer
    for each name in a pandas DataFrame, ~1.8 ms a name and, with tens of thousands of agencies
    in a national ingest, ~0.9 ms a report: the matcher's own function (cpca 0.5) is asked
    directly, ``transform`` only if a cpca release lacks it (tests/test_store.py holds the
    two equal)."""
    cpca = _cpca()
    one = getattr(cpca, "_get_one_addr", None)
    if one is None:
        return cpca.transform([name]).iloc[0]
    return one(name, False, {})


@lru_cache(maxsize=65536)
def resolve(printed: str) -> Resolved:
    """The agency a printed name stands for: its key and region (cached per name)."""
    name = squeeze(printed)
    row = _division(name)
    province, city, county = _unit(row["省"]), _unit(row["市"]), _unit(row["区"])
    lowest = county or city or province
    # cpca also guesses from a bare suffix (某县 → a 县 placeholder): only a division whose
    # name is printed counts.
    if lowest is None or lowest not in name:
        return Resolved(key=f"?|{name}", province=None, city=None, county=None, level=None, adcode=None)
    body = name[name.index(lowest) + len(lowest):]
    body = _config()["aliases"].get(body, body)
    levels = _config()["levels"]
    level = levels["county"] if county else levels["city"] if city else levels["province"]
    adcode = str(row["adcode"]) if row["adcode"] is not None else None
    return Resolved(key=f"{adcode}|{body}", province=province, city=city,
                    county=county, level=level, adcode=adcode)
