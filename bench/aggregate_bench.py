"""Aggregation benchmark: a pass over N partner sources served from loopback.

The partner server runs in a process of its own. Of the N sources (default 1,000), 80% answer
``304`` to our conditional GET, 10% return the same body as last time (no validators: the body
hash skips it, it is never parsed), 10% return a 50-item feed that changed (each fetch adds 5
new items and drops 5 old ones). After a warm-up pass (every source's first fetch), each
measured pass fetches every source, through ``Aggregator.run_pass`` (guarded fetch, hashing,
feedparser, nh3, dedup, one store transaction per source, fetch log, counters) and, in the same
run, interleaved, through bare clients doing the same requests with the same concurrency and
nothing else (httpx.Client; httpcore.ConnectionPool). It prints sources/s and CPU seconds of
this process side by side, the ratio to the faster floor (target: at least 0.5), and the
resident memory after each of 10 passes (target: flat).

    .venv/bin/python bench/aggregate_bench.py            # 1,000 sources, 10 passes
    .venv/bin/python bench/aggregate_bench.py --quick    # 100 sources, 3 passes
    .venv/bin/python bench/aggregate_bench.py --profile  # where a pass spends its time
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import multiprocessing
import os
import platform
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpcore  # noqa: E402
import httpx  # noqa: E402

from syndicate.app import create_app  # noqa: E402
from syndicate.services import services  # noqa: E402
from syndicate.store import Store  # noqa: E402
from syndicate.store import sources as source_store  # noqa: E402

TARGET_RATIO = 0.5
CONCURRENCY = 8
NEW_PER_FETCH = 5
ITEMS = 50
PARAGRAPH = (
    "Les chefs d’état-major des armées du Mali, du Burkina Faso et du Niger se sont réunis à "
    "Bamako pour adopter un plan d’action du pilier défense et sécurité de la Confédération. "
)


def kind(index: int) -> str:
    """80% answer 304, 10% return the same body, 10% a changed feed."""
    slot = index % 10
    return "changed" if slot == 9 else "same" if slot == 8 else "304"


def feed(index: int, first_item: int) -> bytes:
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    items = []
    for number in range(first_item + ITEMS - 1, first_item - 1, -1):
        published = format_datetime(start + timedelta(minutes=10 * number))
        items.append(
            f"<item><title>Dépêche {number} du partenaire {index} : l’AES à Bamako</title>"
            f"<link>https://partner{index}.example/depeches/{number}</link>"
            f'<guid isPermaLink="false">p{index}-{number}</guid><pubDate>{published}</pubDate>'
            f'<description>&lt;p&gt;{PARAGRAPH * 3}&lt;a href="/suite/{number}"&gt;Lire la '
            f"suite&lt;/a&gt;&lt;/p&gt;</description><author>redaction@partner{index}.example "
            f"(Awa Traoré)</author></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Partenaire {index}</title><link>https://partner{index}.example/</link>"
        f"<description>Dépêches</description><language>fr</language>{''.join(items)}"
        "</channel></rss>"
    ).encode()


def serve(port_queue: Any, sources: int) -> None:
    """The partner server (its own process)."""
    bodies = {i: feed(i, 0) for i in range(sources) if kind(i) != "changed"}
    fetches: dict[tuple[str, int], int] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path, _, client = self.path.partition("?client=")
            index = int(path.rsplit("/", 1)[-1].split(".")[0])
            etag = f'"p{index}"'
            if kind(index) == "304":
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                body = bodies[index]
            elif kind(index) == "same":
                body, etag = bodies[index], ""
            else:
                with lock:  # each client sees the feed change by 5 items per fetch
                    count = fetches[(client, index)] = fetches.get((client, index), -1) + 1
                body, etag = feed(index, count * NEW_PER_FETCH), ""
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    port_queue.put(server.server_address[1])
    server.serve_forever()


def cpu() -> float:
    return time.process_time()


def rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


class Floor:
    """The same requests by a bare client: conditional headers, bodies read, nothing else."""

    def __init__(self, urls: list[str], library: str) -> None:
        self.urls = [f"{url}?client={library}" for url in urls]
        self.library = library
        self.etags: dict[str, str] = {}
        if library == "httpx":
            self.client = httpx.Client(
                limits=httpx.Limits(max_connections=CONCURRENCY * 2), trust_env=False
            )
        else:
            self.pool = httpcore.ConnectionPool(max_connections=CONCURRENCY * 2)

    def _one(self, url: str) -> int:
        headers = {"If-None-Match": self.etags[url]} if url in self.etags else {}
        if self.library == "httpx":
            response = self.client.get(url, headers=headers)
            body = response.content
            status, etag = response.status_code, response.headers.get("etag")
        else:
            reply = self.pool.request("GET", url, headers=list(headers.items()))
            body = reply.content
            status = reply.status
            etag = next((v.decode() for k, v in reply.headers if k.lower() == b"etag"), None)
        if etag:
            self.etags[url] = etag
        return status + len(body) * 0

    def run(self) -> None:
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(self._one, self.urls))

    def close(self) -> None:
        if self.library == "httpx":
            self.client.close()
        else:
            self.pool.close()


def timed(action: Callable[[], Any]) -> tuple[float, float, Any]:
    gc.collect()
    wall, started_cpu = time.perf_counter(), cpu()
    result = action()
    return time.perf_counter() - wall, cpu() - started_cpu, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 sources, 3 passes")
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    sources, passes = (100, 3) if args.quick else (args.sources, args.passes)

    context = multiprocessing.get_context("spawn")
    port_queue = context.Queue()
    server = context.Process(target=serve, args=(port_queue, sources), daemon=True)
    server.start()
    port = port_queue.get(timeout=30)
    urls = [f"http://127.0.0.1:{port}/feeds/{i}.xml" for i in range(sources)]

    folder = Path(tempfile.mkdtemp(prefix="aggregate-bench-"))
    database = f"sqlite:///{folder / 'bench.sqlite3'}"
    Store(database).upgrade()
    app = create_app(
        {
            "env": "production",
            "secret_key": "bench",
            "database_url": database,
            "instance_path": str(folder),
            "allow_private_sources": True,
            "fetch_concurrency": CONCURRENCY,
            "fetch_per_host": CONCURRENCY,
            "fetch_deadline": 30.0,
            "story_retention_days": 3650,
        }
    )
    svc = services(app)
    aggregator = svc.aggregator
    with svc.store.begin() as connection:
        ids = [
            source_store.create(
                connection,
                url=url,
                name=f"Partenaire {i}",
                category="securite",
                interval=1800,
                origin="cli",
                now=svc.clock(),
            ).id
            for i, url in enumerate(urls)
        ]
    floors = {name: Floor(urls, name) for name in ("httpx", "httpcore")}

    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"{sources} sources on 127.0.0.1 (80% 304, 10% same body, 10% changed {ITEMS}-item feed)")
    print(f"concurrency {CONCURRENCY} for every client; partner server in its own process\n")
    wall, used, report = timed(lambda: aggregator.run_pass(ids))
    print(f"warm-up pass (first fetch of every source): {wall:.2f} s, {report.summary()}")
    for floor in floors.values():
        floor.run()

    if args.profile:
        chosen = aggregator.all_sources()  # one thread, so that cProfile sees every call
        profiler = cProfile.Profile()
        profiler.enable()
        batch: list[Any] = []
        for source in chosen:
            aggregator._run_one(source, batch)
        aggregator._flush(batch)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return 0

    ours: list[tuple[float, float]] = []
    bare: dict[str, list[tuple[float, float]]] = {name: [] for name in floors}
    memory: list[float] = []
    header = f"{'pass':>4}  {'ours s':>7}  {'ours cpu':>8}  {'httpx s':>7}  {'cpu':>5}"
    print(header + f"  {'httpcore s':>10}  {'cpu':>5}  {'RSS MiB':>7}  outcomes")
    for number in range(1, passes + 1):
        for name, floor in floors.items():
            wall, used, _ = timed(floor.run)
            bare[name].append((wall, used))
        wall, used, report = timed(lambda: aggregator.run_pass(ids))
        ours.append((wall, used))
        gc.collect()
        memory.append(rss_mib())
        counts = (
            f"{report.count('not_modified')} 304, {report.count('unchanged')} same body, "
            f"{report.count('fetched')} parsed, {report.new} new, {report.count('failed')} failed"
        )
        print(
            f"{number:>4}  {wall:>7.2f}  {used:>8.2f}  {bare['httpx'][-1][0]:>7.2f}  "
            f"{bare['httpx'][-1][1]:>5.2f}  {bare['httpcore'][-1][0]:>10.2f}  "
            f"{bare['httpcore'][-1][1]:>5.2f}  {memory[-1]:>7.1f}  {counts}"
        )

    def rate(samples: list[tuple[float, float]]) -> float:
        return sources / statistics.median(wall for wall, _ in samples)

    def cpu_per_pass(samples: list[tuple[float, float]]) -> float:
        return statistics.median(used for _, used in samples)

    print()
    print(f"{'client':<28} {'sources/s':>10} {'CPU s/pass':>11}")
    print(f"{'syndicate (run_pass)':<28} {rate(ours):>10.0f} {cpu_per_pass(ours):>11.2f}")
    for name, samples in bare.items():
        print(f"{'bare ' + name:<28} {rate(samples):>10.0f} {cpu_per_pass(samples):>11.2f}")
    floor_rate = max(rate(samples) for samples in bare.values())
    ratio = rate(ours) / floor_rate
    growth = memory[-1] - memory[1] if len(memory) > 1 else 0.0
    print(f"\nratio to the faster floor: {ratio:.2f}x (target >= {TARGET_RATIO}x)")
    print(f"memory: {memory[0]:.1f} MiB after pass 1, {memory[-1]:.1f} MiB after pass {passes} "
          f"({growth:+.1f} MiB from pass 2)")  # fmt: skip

    for floor in floors.values():
        floor.close()
    aggregator.close()
    svc.store.dispose()
    server.terminate()
    ok = ratio >= TARGET_RATIO and growth < 20
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
