"""Load test of the annotation server on loopback, and the SIGKILL check.

Simulated annotators (threads, one HTTP client and one signed-in session each) loop for a fixed time:
claim the next document, load it, sometimes autosave a draft, submit random labels with evidence spans,
and now and then submit a new version of an earlier document. A submission retried after a lost
connection keeps its submission id, as the labelling page does.

Phases (each against a real ``stigmascope annotate serve`` child process):

1. ``load``: N annotators for the given seconds with ``sqlite_synchronous=FULL`` (the default):
   submissions/s, latency percentiles, and the database count against what was acknowledged.
2. ``normal``: the same for a shorter time with ``NORMAL`` sync, the obvious cheaper alternative, to
   price the durability of FULL.
3. ``kill``: load, SIGKILL the server mid-load, restart it on the same file and port while the clients
   keep retrying; afterwards every acknowledged submission must be in the database exactly once.

Run: ``python -m annotation.bench [--annotators 20] [--seconds 60]`` (about two minutes in all).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LoadResult", "kill_test", "main", "run_load", "seed", "stored_ids", "verify"]

PASSWORD = "bench-password-1"


@dataclass
class LoadResult:
    """What the simulated annotators saw."""

    acked: dict[str, int] = field(default_factory=dict)  #: submission id -> annotation id
    latencies: list[float] = field(default_factory=list)  #: seconds per acknowledged submit
    duplicates_caught: int = 0  #: retries the server recognised as already stored
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(q: float) -> float | None:
            return round(1000 * lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else None

        return {"submissions": len(self.acked), "seconds": round(self.seconds, 1),
                "submissions_per_s": round(len(self.acked) / self.seconds, 1) if self.seconds else None,
                "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
                "mean_ms": round(1000 * statistics.fmean(lat), 1) if lat else None,
                "retries": self.retries, "duplicates_caught": self.duplicates_caught, "errors": len(self.errors),
                "error_examples": sorted(set(self.errors))[:3]}


def seed(db_path: Path, *, annotators: int, documents: int, overlap: int = 2) -> tuple[int, list[str]]:
    """Create a database with annotators, one project and ``documents`` documents (texts of the bundled
    corpus, cycled under new ids). Returns ``(project_id, user names)``."""
    from annotation.auth import create_user
    from annotation.db import Database
    from annotation.importer import Record, import_records
    from annotation.projects import add_member, create_project
    from corpora.annotated import default_corpus_path

    texts = [json.loads(line)["text"] for line in default_corpus_path().read_text(encoding="utf-8").splitlines()
             if line.strip()]
    db = Database.open(db_path)
    pid = create_project(db, "bench", overlap=overlap)
    names = [f"sim{i:02d}" for i in range(annotators)]
    for n in names:
        create_user(db, n, PASSWORD)
        add_member(db, "bench", n)
    records = (Record(i, data={"ext_id": f"b{i:06d}", "text": texts[i % len(texts)]}) for i in range(documents))
    import_records(db, "bench", records, origin="bench", segment=True)
    db.dispose()
    return pid, names


def _login(client: Any, name: str) -> str:
    page = client.get("/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": nonce, "next": "/"})
    home = client.get("/")
    return re.search(r'name="csrf-token" content="([^"]+)"', home.text).group(1)


def _labels(rng: random.Random, tax: Any, text: str, tokens: list[int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from annotation.forms import positive_keys
    from annotation.spans import snap

    labels: dict[str, Any] = {}
    relevant = rng.random() < 0.6
    for f in tax.facets:
        if f.kind.value == "binary":
            labels[f.output_key] = relevant
        elif f.kind.value == "multi_label":
            labels[f.output_key] = [lab for lab in f.label_ids if relevant and rng.random() < 0.15]
        else:
            labels[f.output_key] = rng.choice(f.label_ids) if relevant else None
    spans = []
    for key in positive_keys(tax, labels)[:3]:
        if tokens and rng.random() < 0.5:
            i = rng.randrange(len(tokens))
            start = tokens[i - 1] if i else 0
            end = tokens[min(i + 1, len(tokens) - 1)]
            if snap(start, end, text, tokens) is not None:  # an annotator selects words, not a lone comma
                spans.append({"key": key, "start": start, "end": end})
    return labels, spans


def _with_retry(send: Any, deadline: float, result: LoadResult) -> Any:
    """Send until an answer comes (a killed server is being restarted) or the deadline passes."""
    import httpx

    while True:
        try:
            return send()
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            with result.lock:
                result.retries += 1
            time.sleep(0.2)


def _annotator(url: str, name: str, pid: int, clock: dict[str, float], result: LoadResult, seed_: int,
               ready: threading.Barrier) -> None:
    import httpx

    from models.taxonomy import load_taxonomy

    rng, tax = random.Random(seed_), load_taxonomy()
    done: list[int] = []
    with httpx.Client(base_url=url, timeout=30.0) as c:
        h = {"X-CSRF-Token": _login(c, name)}
        ready.wait()  # everyone signed in (an argon2 check each); then the controller sets the end time
        ready.wait()
        until = clock["until"]
        grace = until + 60.0
        while time.monotonic() < until:
            try:
                doc_id = None
                if not done or rng.random() > 0.08:
                    doc_id = _with_retry(lambda: c.get(f"/api/projects/{pid}/next"), grace, result).json()["document_id"]
                if doc_id is None:
                    if not done:
                        break
                    doc_id = rng.choice(done)  # queue empty or a correction: a new version of an earlier one
                doc = _with_retry(lambda d=doc_id: c.get(f"/api/projects/{pid}/documents/{d}"), grace, result).json()
                labels, spans = _labels(rng, tax, doc["text"], doc["tokens"])
                if rng.random() < 0.3:
                    _with_retry(lambda d=doc_id, lab=labels: c.put(f"/api/projects/{pid}/documents/{d}/draft",
                                                                   headers=h, json={"labels": lab}), grace, result)
                body = {"submission_id": uuid.uuid4().hex, "labels": labels, "spans": spans,
                        "duration_ms": rng.randint(2000, 60000)}
                t0 = time.perf_counter()
                r = _with_retry(lambda d=doc_id, b=body: c.post(f"/api/projects/{pid}/documents/{d}/annotations",
                                                                headers=h, json=b), grace, result)
                dt = time.perf_counter() - t0
                if r.status_code != 200:
                    with result.lock:
                        result.errors.append(f"{r.status_code}: {r.text[:200]}")
                    continue
                j = r.json()
                with result.lock:
                    result.acked[body["submission_id"]] = j["annotation_id"]
                    result.latencies.append(dt)
                    result.duplicates_caught += bool(j["duplicate"])
                done.append(doc_id)
            except Exception as exc:  # noqa: BLE001 - a bench records failures instead of dying
                with result.lock:
                    result.errors.append(repr(exc)[:200])


def run_load(url: str, names: list[str], pid: int, seconds: float, *, seed_: int = 0,
             during: Any = None) -> LoadResult:
    """Run one annotator thread per name for ``seconds`` (sign-in excluded); ``during(t0)`` runs meanwhile."""
    result = LoadResult()
    ready = threading.Barrier(len(names) + 1)
    clock = {"until": float("inf")}
    threads = [threading.Thread(target=_annotator, args=(url, n, pid, clock, result, seed_ * 1000 + k, ready),
                                daemon=True) for k, n in enumerate(names)]
    for t in threads:
        t.start()
    ready.wait()
    t0 = time.monotonic()
    clock["until"] = t0 + seconds
    ready.wait()
    if during is not None:
        during(t0)
    for t in threads:
        t.join()
    result.seconds = time.monotonic() - t0
    return result


def stored_ids(db_path: Path) -> set[str]:
    """Submission ids already in the database (to verify a later phase on its own)."""
    con = sqlite3.connect(str(db_path))
    try:
        return {r[0] for r in con.execute("SELECT submission_id FROM annotations")}
    finally:
        con.close()


def verify(db_path: Path, result: LoadResult, *, before: set[str] | None = None) -> dict[str, Any]:
    """Compare the database with what the clients were told: lost, duplicated, integrity.

    Args:
        before: submission ids stored before this phase (left out of the comparison).
    """
    con = sqlite3.connect(str(db_path))
    try:
        rows = {sid: aid for sid, aid in con.execute("SELECT submission_id, id FROM annotations")
                if not before or sid not in before}
        dup_versions = con.execute("SELECT count(*) FROM (SELECT document_id, user_id, version, count(*) c FROM "
                                   "annotations GROUP BY 1, 2, 3 HAVING c > 1)").fetchone()[0]
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    lost = [sid for sid, aid in result.acked.items() if rows.get(sid) != aid]
    return {"acknowledged": len(result.acked), "in_database": len(rows), "lost": len(lost),
            "duplicated": len(rows) - len(set(rows)) + dup_versions,
            "stored_unacknowledged": len(set(rows) - set(result.acked)), "integrity": integrity}


def kill_test(db_path: Path, names: list[str], pid: int, *, seconds: float, kill_after: float,
              down_for: float = 1.0, port: int | None = None) -> dict[str, Any]:
    """Load the server, SIGKILL it after ``kill_after`` s, restart it after ``down_for`` s; verify."""
    from annotation.serverproc import ServerProcess, free_port

    port = port or free_port()
    before = stored_ids(db_path)
    state: dict[str, Any] = {"srv": ServerProcess(db_path, port=port).start()}

    def killer(t0: float) -> None:
        def act() -> None:
            time.sleep(max(0.0, t0 + kill_after - time.monotonic()))
            state["srv"].kill()
            state["killed"] = True
            time.sleep(down_for)
            state["srv"] = ServerProcess(db_path, port=port).start()
        threading.Thread(target=act, daemon=True).start()

    try:
        result = run_load(state["srv"].url, names, pid, seconds, seed_=7, during=killer)
    finally:
        state["srv"].stop()
    check = verify(db_path, result, before=before)
    return {**result.figures(), **check, "killed": bool(state.get("killed"))}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the load test phases and print a short table; returns the figures."""
    from annotation.serverproc import ServerProcess

    ap = argparse.ArgumentParser(prog="python -m annotation.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--annotators", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--normal-seconds", type=float, default=20.0, help="NORMAL-sync comparison (0 skips it)")
    ap.add_argument("--kill-seconds", type=float, default=20.0, help="the SIGKILL phase (0 skips it)")
    ap.add_argument("--documents", type=int, default=12000)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="annotation-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"annotators": args.annotators, "documents": args.documents}
    db_path = work / "bench.sqlite"
    t0 = time.perf_counter()
    pid, names = seed(db_path, annotators=args.annotators, documents=args.documents)
    out["seed_seconds"] = round(time.perf_counter() - t0, 1)
    with ServerProcess(db_path, log=work / "server.log") as srv:
        res = run_load(srv.url, names, pid, args.seconds)
    out["load"] = {**res.figures(), **verify(db_path, res)}
    if args.normal_seconds > 0:
        cfg = work / "normal.toml"
        cfg.write_text('sqlite_synchronous = "NORMAL"\n', encoding="utf-8")
        db2 = work / "bench-normal.sqlite"
        pid2, names2 = seed(db2, annotators=args.annotators, documents=args.documents)
        with ServerProcess(db2, config=cfg) as srv:
            res2 = run_load(srv.url, names2, pid2, args.normal_seconds)
        out["normal"] = {**res2.figures(), **verify(db2, res2)}
        if out["normal"]["submissions_per_s"]:
            out["full_vs_normal_throughput"] = round(out["load"]["submissions_per_s"] /
                                                     out["normal"]["submissions_per_s"], 2)
    if args.kill_seconds > 0:
        out["kill"] = kill_test(db_path, names, pid, seconds=args.kill_seconds, kill_after=args.kill_seconds / 2)
    _print(out)
    if args.workdir is not None:
        (work / "bench.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    else:  # the databases are large and of no further use
        shutil.rmtree(work, ignore_errors=True)
    return out


def _print(out: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(width=max(Console().width, 120))
    t = Table(title=f"annotation server, {out['annotators']} simulated annotators on loopback", title_justify="left")
    for col in ("phase", "seconds", "submits", "per s", "p50 ms", "p95 ms", "p99 ms", "in db", "lost", "dup",
                "retries", "errors"):
        t.add_column(col, justify="right" if col != "phase" else "left")
    for phase in ("load", "normal", "kill"):
        if phase in out:
            r = out[phase]
            t.add_row(phase, str(r["seconds"]), str(r["acknowledged"]), str(r["submissions_per_s"]), str(r["p50_ms"]),
                      str(r["p95_ms"]), str(r["p99_ms"]), str(r["in_database"]), str(r["lost"]), str(r["duplicated"]),
                      str(r["retries"]), str(r["errors"]))
    con.print(t)
    con.print("load: SQLite synchronous=FULL; normal: synchronous=NORMAL; kill: SIGKILL mid-load, restart, "
              "clients retry with the same submission ids")
    if "full_vs_normal_throughput" in out:
        con.print(f"FULL sync throughput = {out['full_vs_normal_throughput']}x NORMAL's (same run)")


if __name__ == "__main__":  # pragma: no cover
    main()
