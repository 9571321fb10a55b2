"""Run every stage's benchmark (``make bench``): ``python -m stigmascope.bench [stage ...]``.

Each package that has speed or memory figures exposes ``<package>.bench.main(argv) -> dict``; this
runner calls them in data-flow order, prints their tables and writes all figures to
``bench-results/<stage>.json`` so a closing note can quote them.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

STAGES = ("corpora", "nlp", "models", "models.ray_bench", "trends", "annotation", "evaluation")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    wanted = args or list(STAGES)
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    failed = []
    for stage in wanted:
        modname = stage if stage.endswith("bench") else f"{stage}.bench"
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:
                continue  # this stage has no benchmark
            raise
        print(f"\n=== {stage} ===", flush=True)
        t0 = time.perf_counter()
        try:
            figures = module.main([])
        except SystemExit as exc:  # a bench that skips itself (e.g. ../shared/data/real absent)
            print(f"{stage}: skipped ({exc})")
            continue
        except Exception as exc:  # report and go on: one broken bench must not hide the others
            print(f"{stage}: FAILED: {exc!r}")
            failed.append(stage)
            continue
        figures = dict(figures or {}, wall_seconds=round(time.perf_counter() - t0, 1))
        (out / f"{stage.replace('.', '_')}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1, default=str))
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
