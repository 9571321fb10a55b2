"""Measure city attribution: precision and coverage on the bundled fixture, agreement on a real Weibo set.

Fixture (``corpora/data/city_fixture.jsonl``): hand-written sentences with no metadata, one per line:
``{"id", "kind", "text", "city": str|null, "province": str|null}`` — ``city`` is the expected city (null
when no city should be attributed: hometowns only, comparisons, several cities, no place), ``province``
the expected province where only a province should be given.

- **precision**: of the cases given a city, the share whose city is the expected one (a city given
  where null was expected counts as wrong).
- **coverage**: the share of all cases given a city.
- **recall**: of the cases expecting a city, the share that got it.

Real Weibo posts (``ced_weibo_rumor/original_microblogs.jsonl``, ``user.location`` such as ``广东 佛山``):

- metadata agreement: :meth:`~corpora.cities.CityResolver.from_metadata` against the second token of
  the field looked up independently in the gazetteer within the province of the first token;
- text attribution vs ``user.location``: coverage of text-only attribution and the share of attributed
  posts whose city (or province) equals the poster's. The poster's location is not the story's place, so
  this agreement is a rough lower bound, not a precision.

Run ``python -m corpora.cities_eval [--real DIR] [--errors]``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpora.cities import CityResolver
from corpora.gazetteer import Level
from stigmascope.errors import InputError

__all__ = ["FixtureScore", "default_fixture_path", "evaluate_fixture", "evaluate_weibo", "load_fixture", "main"]


def default_fixture_path() -> Path:
    """The bundled fixture file."""
    return Path(__file__).resolve().parent / "data" / "city_fixture.jsonl"


def load_fixture(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Read and check the fixture (fields ``id``, ``kind``, ``text``, ``city``, ``province``)."""
    p = Path(path) if path else default_fixture_path()
    cases = []
    for no, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON ({exc.msg}); fix the line", path=str(p), line=no) from exc
        for key in ("id", "kind", "text", "city"):
            if key not in rec:
                raise InputError("missing field; each case needs id, kind, text, city", path=str(p), line=no,
                                 field=key)
        cases.append(rec)
    return cases


@dataclass
class FixtureScore:
    """Fixture figures; ``errors`` lists the wrong or missed cases with what was returned."""

    n: int
    attributed: int
    correct: int
    expected_city: int
    precision: float
    coverage: float
    recall: float
    province_accuracy: float
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "errors"}


def evaluate_fixture(resolver: CityResolver | None = None, path: str | Path | None = None) -> FixtureScore:
    """Run text-only attribution (dateline, then text) on every fixture case.

    Returns:
        A :class:`FixtureScore`.
    """
    resolver = resolver or CityResolver()
    cases = load_fixture(path)
    attributed = correct = expected_city = got_city = prov_ok = 0
    by_kind: dict[str, Counter[str]] = {}
    errors = []
    for case in cases:
        got = resolver.resolve(case["text"])
        want_city, want_prov = case.get("city"), case.get("province")
        kind = by_kind.setdefault(case["kind"], Counter())
        kind["n"] += 1
        if want_city:
            expected_city += 1
        if got.city:
            attributed += 1
            kind["attributed"] += 1
            if got.city == want_city:
                correct += 1
                kind["correct"] += 1
        if want_city and got.city == want_city:
            got_city += 1
        want_p = want_prov if not want_city else resolver.gazetteer.cities[want_city].province
        if got.province == want_p or (want_p is None and got.province is None):
            prov_ok += 1
        if got.city != want_city or (not want_city and want_prov and got.province != want_prov):
            errors.append({"id": case["id"], "text": case["text"], "want": want_city or want_prov,
                           "got": got.city or got.province, "source": got.source,
                           "mentions": resolver.explain(case["text"])})
    n = len(cases)
    return FixtureScore(
        n=n, attributed=attributed, correct=correct, expected_city=expected_city,
        precision=correct / attributed if attributed else 0.0, coverage=attributed / n if n else 0.0,
        recall=got_city / expected_city if expected_city else 0.0, province_accuracy=prov_ok / n if n else 0.0,
        by_kind={k: dict(v) for k, v in sorted(by_kind.items())}, errors=errors)


def _weibo_posts(path: Path, limit: int | None) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                break
            rec = json.loads(line).get("record") or {}
            user = rec.get("user")
            loc = user.get("location") if isinstance(user, dict) else None
            yield rec.get("text") or "", loc if isinstance(loc, str) else ""


def evaluate_weibo(path: str | Path, resolver: CityResolver | None = None, *,
                   limit: int | None = None) -> dict[str, Any]:
    """Metadata normalisation and text attribution against ``user.location`` on the CED Weibo posts.

    Args:
        path: ``original_microblogs.jsonl``.
        resolver: the resolver to measure.
        limit: read only the first ``limit`` posts.

    Returns:
        Counts and shares (see the module docstring).
    """
    resolver = resolver or CityResolver()
    gaz = resolver.gazetteer
    posts = list(_weibo_posts(Path(path), limit))
    meta_checked = meta_agree = meta_city = meta_prov_only = meta_none = 0
    text_attr = text_city_agree = text_prov_agree = text_attr_with_loc = 0
    for text, loc in posts:
        got = resolver.from_metadata(loc)
        if got.city:
            meta_city += 1
        elif got.province:
            meta_prov_only += 1
        else:
            meta_none += 1
        parts = loc.split()
        # independent reading: first token a province, second a place inside it (exact name or name+市)
        if parts and parts[0] in gaz.provinces:
            meta_checked += 1
            prov = gaz.provinces[parts[0]].province
            ref_city = None
            if prov in gaz.cities and gaz.cities[prov].adcode[:2] in ("11", "12", "31", "50", "81", "82"):
                ref_city = prov
            elif len(parts) > 1 and parts[1] not in ("其他", "其它"):
                found = [p for p in gaz.lookup(parts[1], province=prov) + gaz.lookup(parts[1] + "市", province=prov)
                         if p.level is not Level.province]
                ref_city = found[0].city if found else None
            if got.province == prov and got.city == ref_city:
                meta_agree += 1
        by_text = resolver.from_text(text)
        if by_text.city:
            text_attr += 1
            if got.province:
                text_attr_with_loc += 1
                text_prov_agree += by_text.province == got.province
                text_city_agree += by_text.city == got.city
    n = len(posts)
    return {
        "posts": n,
        "metadata": {"city": meta_city, "province_only": meta_prov_only, "none": meta_none,
                     "checked": meta_checked, "agree": meta_agree,
                     "agreement": meta_agree / meta_checked if meta_checked else 0.0},
        "text": {"attributed": text_attr, "coverage": text_attr / n if n else 0.0,
                 "attributed_with_location": text_attr_with_loc,
                 "city_agreement": text_city_agree / text_attr_with_loc if text_attr_with_loc else 0.0,
                 "province_agreement": text_prov_agree / text_attr_with_loc if text_attr_with_loc else 0.0},
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Print the fixture figures (and the real Weibo ones with ``--real``); return them."""
    ap = argparse.ArgumentParser(prog="python -m corpora.cities_eval", description=__doc__.splitlines()[0])
    ap.add_argument("--fixture", default=None, help="fixture JSONL (default: the bundled one)")
    ap.add_argument("--real", default=None, help="folder holding ced_weibo_rumor/ (e.g. ../shared/data/real)")
    ap.add_argument("--errors", action="store_true", help="list the fixture cases that were wrong or missed")
    args = ap.parse_args(argv)
    resolver = CityResolver()
    score = evaluate_fixture(resolver, args.fixture)
    print(f"fixture: {score.n} cases, attributed {score.attributed}, correct {score.correct}")
    print(f"  precision {score.precision:.3f}  coverage {score.coverage:.3f}  recall {score.recall:.3f}  "
          f"province/none accuracy {score.province_accuracy:.3f}")
    for kind, c in score.by_kind.items():
        print(f"  {kind:12s} n={c.get('n', 0):3d} attributed={c.get('attributed', 0):3d} "
              f"correct={c.get('correct', 0):3d}")
    if args.errors:
        for e in score.errors:
            print(f"  ✗ {e['id']}: want {e['want']} got {e['got']} ({e['source']}) {e['text']}")
            for m in e["mentions"]:
                print(f"      {m['text']} w={m['weight']} {m['reason']} → {m['city'] or m['candidates']}")
    result: dict[str, Any] = {"fixture": score.as_dict()}
    if args.real:
        path = Path(args.real) / "ced_weibo_rumor" / "original_microblogs.jsonl"
        weibo = evaluate_weibo(path, resolver)
        md, tx = weibo["metadata"], weibo["text"]
        print(f"weibo: {weibo['posts']} posts; metadata city {md['city']}, province only {md['province_only']}, "
              f"none {md['none']}; agreement with an independent reading {md['agreement']:.3f} "
              f"({md['agree']}/{md['checked']})")
        print(f"  text-only: coverage {tx['coverage']:.3f} ({tx['attributed']}); of {tx['attributed_with_location']} "
              f"attributed posts with a location, city agrees {tx['city_agreement']:.3f}, "
              f"province agrees {tx['province_agreement']:.3f}")
        result["weibo"] = weibo
    return result


if __name__ == "__main__":  # pragma: no cover
    main()
