"""Side-by-side comparison of systems on one gold set, with a paired bootstrap test of macro-F1.

Both systems are scored on the same resamples of the same documents (the same multiplicity matrix),
so the test is paired: what varies between resamples is which documents are in the set, and the
question is whether B beats A on the kind of set the gold set is a sample of.

Example:
    >>> cmp = compare_systems({"default": ev_a, "baseline": ev_b}, weights)      # doctest: +SKIP
    >>> cmp[0]["overall"]["diff"], cmp[0]["overall"]["p_value"]
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from evaluation.arrays import EvalArrays
from evaluation.bootstrap import paired_difference
from evaluation.quality import macro_samples

__all__ = ["compare_systems"]


def compare_systems(evs: Mapping[str, EvalArrays], weights: np.ndarray, *, level: float = 0.95
                    ) -> list[dict[str, Any]]:
    """Compare the first system (the reference, A) with each of the others (B).

    Args:
        evs: aligned arrays per system name, in order; all on the same gold documents in the same order.
        weights: bootstrap multiplicities ``(n_boot, n_docs)`` shared by all systems.
        level: interval coverage.

    Returns:
        One entry per other system: ``{"a", "b", "per_facet": {facet: {a, b, diff, ci, p_value, n_boot}},
        "overall": {…}}`` where ``diff`` is B − A of macro-F1.

    Raises:
        ValueError: systems evaluated on different documents.
    """
    names = list(evs)
    if len(names) < 2:
        return []
    ref = names[0]
    ref_ids = [d.id for d in evs[ref].docs]
    samples = {n: macro_samples(evs[n], weights) for n in names}
    out = []
    for other in names[1:]:
        if [d.id for d in evs[other].docs] != ref_ids:
            raise ValueError(f"systems {ref!r} and {other!r} were aligned on different documents")
        sa, sb = samples[ref], samples[other]
        entry: dict[str, Any] = {"a": ref, "b": other, "per_facet": {}}
        for facet in sa:
            res = paired_difference(sa[facet][0], sb[facet][0], sa[facet][1], sb[facet][1], level)
            if facet == "overall":
                entry["overall"] = res
            else:
                entry["per_facet"][facet] = res
        out.append(entry)
    return out
