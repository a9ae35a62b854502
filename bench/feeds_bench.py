"""Feeds over HTTP: ours beside the floors, measured in the same run (issue 3, "Performance").

Floors, on this machine, now: nginx serving the feed as a static file; gunicorn (2 sync workers)
with a bare Flask view returning the cached bytes (``bench/feeds_floors.py``), the same view
generating the feed with feedgen on every request, and a bare Flask ``304``. Ours: the full app
(``wsgi:app``) under gunicorn with the same settings, and behind nginx with ``proxy_cache``
configured by the README's sample (taken from README.md itself, only its upstream address and
cache directory replaced). Targets, as ratios against the floors of the same run:

- a cached feed through the full app: at least 0.9x the bare cached floor (req/s);
- a ``304`` through the full app: at least 0.9x the bare ``304`` floor (req/s);
- after a publish, the first request (in-process, the whole WSGI app) regenerates a 50-item
  full-content feed in at most 1.5x feedgen's own time for the same articles (medians);
- behind nginx: at least 0.5x nginx's static-file rate, and after a publish the new item shows
  through nginx within ``max-age`` (plus a small epsilon).

HTTP rows are wrk runs of a few seconds on loopback, floor and ours side by side, in rounds
whose order alternates; a row's ratio is the median of its per-round ratios. The feed served is
the demo's ``politique`` RSS (about 50 KB); every floor serves the very same bytes. wrk, nginx
or gunicorn missing: the rows that need it are skipped, saying what to install. nginx runs
unprivileged with its own prefix in ``bench/out/feeds/``; every process started here is
stopped at the end, also on failure or Ctrl-C.

    .venv/bin/python bench/feeds_bench.py             # 8 rounds of 2 s runs, 60 publishes
    .venv/bin/python bench/feeds_bench.py --quick     # 1 round of 1 s runs (not judged)
    .venv/bin/python bench/feeds_bench.py --profile   # cProfile of a regeneration too
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.client
import json
import os
import platform
import pstats
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from feeds_floors import feedgen_rss, prepared  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from syndicate.app import create_app  # noqa: E402
from syndicate.demo import demo_lines, load_demo  # noqa: E402
from syndicate.newsroom.shapes import article_json  # noqa: E402
from syndicate.publish import publishing  # noqa: E402
from syndicate.services import services  # noqa: E402
from syndicate.store import articles as article_store  # noqa: E402
from syndicate.store import tokens  # noqa: E402
from syndicate.urls import category_url, feed_url  # noqa: E402

OUT = ROOT / "bench" / "out" / "feeds"
README = ROOT / "README.md"
HTTP_FEED = "politique"
README_CACHE_DIR = "/var/cache/nginx/syndicate"
README_UPSTREAM = "http://127.0.0.1:8000"
CACHED_TARGET = 0.9
NOT_MODIFIED_TARGET = 0.9
REGENERATE_TARGET = 1.5
NGINX_TARGET = 0.5
STALE_EPSILON = 1.5
"""Seconds allowed past max-age: nginx keeps cache validity in whole seconds, plus polling."""
POLL = 0.05


# Processes ------------------------------------------------------------------------------------


class Processes:
    """Everything this bench starts, each in a session of its own, stopped by ``stop_all``."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: Sequence[str], env: dict[str, str]) -> int:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.started.append((name, process))
        return process.pid

    def alive(self, pid: int) -> bool:
        return any(p.pid == pid and p.poll() is None for _, p in self.started)

    def log_tail(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return "\n".join(lines[-15:])

    def stop_all(self) -> None:
        for _, process in reversed(self.started):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    # The group is the one we started; SIGINT: quick shutdown for both
                    # gunicorn (no graceful wait) and nginx.
                    os.killpg(process.pid, signal.SIGINT)
        deadline = time.monotonic() + 10
        for _, process in self.started:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.started.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, processes: Processes, pid: int, name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not processes.alive(pid):
            raise SystemExit(f"{name} exited at start:\n{processes.log_tail(name)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise SystemExit(f"{name} is not listening on port {port} after 30 s")


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of ``root`` and its descendants (gunicorn or nginx workers)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(cpu.get(pid, 0.0) for pid in tree)


# HTTP -----------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def get(port: int, path: str, headers: dict[str, str] | None = None) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def post_json(port: int, path: str, payload: Any, token: str) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = json.dumps(payload).encode()
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        response = connection.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


@dataclass
class WrkRun:
    rate: float
    requests: int
    errors: int
    cpu_us_per_request: float | None


def run_wrk(
    wrk: str, url: str, args: argparse.Namespace, headers: Sequence[str], server_pid: int | None
) -> WrkRun:
    command = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    cpu_after = tree_cpu_seconds(server_pid) if server_pid else 0.0
    if done.returncode != 0:
        raise SystemExit(f"wrk failed on {url}: {done.stderr or done.stdout}")
    text = done.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    count = re.search(r"(\d+) requests in", text)
    if rate is None or count is None:
        raise SystemExit(f"unreadable wrk output for {url}:\n{text}")
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if bad:
        errors += int(bad.group(1))
    requests = int(count.group(1))
    cpu = (cpu_after - cpu_before) / requests * 1e6 if server_pid and requests else None
    return WrkRun(float(rate.group(1)), requests, errors, cpu)


# The README's nginx sample --------------------------------------------------------------------


def readme_cache_sample(readme: Path = README) -> str:
    """The README's ```nginx block that configures ``proxy_cache``."""
    blocks = re.findall(r"```nginx\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    found = [block for block in blocks if "proxy_cache_path" in block]
    if len(found) != 1:
        raise SystemExit(f"{readme.name}: expected one ```nginx block with proxy_cache_path")
    return found[0]


def cache_directives(sample: str, upstream: str, cache_dir: Path) -> tuple[list[str], str]:
    """(its http-level lines, its ``location /feeds/`` block), as written in the README but for
    the upstream address and the cache directory."""
    for literal in (README_UPSTREAM, README_CACHE_DIR):
        if literal not in sample:
            raise SystemExit(f"README's nginx cache sample no longer names {literal!r}")
    sample = sample.replace(README_UPSTREAM, upstream).replace(README_CACHE_DIR, str(cache_dir))
    http_level: list[str] = []
    location: list[str] = []
    depth, in_location = 0, False
    for line in sample.splitlines():
        stripped = line.strip()
        if depth == 0 and stripped and not stripped.startswith(("#", "server")) and "{" not in line:
            http_level.append(stripped)
        if stripped.startswith("location /feeds/"):
            in_location = True
        if in_location:
            location.append(line)
        depth += line.count("{") - line.count("}")
        if in_location and stripped == "}" and depth == 1:
            in_location = False
    if not http_level or not location:
        raise SystemExit("README's nginx cache sample: no proxy_cache_path or location /feeds/")
    return http_level, "\n".join(location)


def nginx_config(
    prefix: Path, port: int, upstream_port: int, static_dir: Path, readme: Path = README
) -> str:
    http_level, location = cache_directives(
        readme_cache_sample(readme), f"http://127.0.0.1:{upstream_port}", prefix / "cache"
    )
    indented_http = "\n".join(f"    {line}" for line in http_level)
    return f"""# Written by bench/feeds_bench.py: README.md's feed-cache sample in its own nginx.
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    default_type application/octet-stream;
    types {{
        application/rss+xml rss;
    }}
    client_body_temp_path {prefix}/tmp/client_body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;

    # From README.md:
{indented_http}

    server {{
        listen 127.0.0.1:{port};
        # The static-file floor: the same bytes, from disk.
        location /floor/ {{
            alias {static_dir}/;
        }}

        # From README.md:
{location}
    }}
}}
"""


def nginx_command(nginx: str, prefix: Path) -> list[str]:
    command = [nginx, "-p", f"{prefix}/", "-c", f"{prefix}/nginx.conf", "-e", f"{prefix}/error.log"]
    command += ["-g", "daemon off;"]
    if os.geteuid() == 0:  # never run it as root: the unprivileged user owns its prefix
        os.chown(prefix, 65534, 65534)
        for path in prefix.rglob("*"):
            os.chown(path, 65534, 65534)
        setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--", *command]
    return command


# The stores -----------------------------------------------------------------------------------


def bench_settings(path: Path, max_age: int) -> dict[str, Any]:
    return {
        "env": "production",
        "secret_key": "feeds-bench-" + secrets.token_hex(16),
        "database_url": f"sqlite:///{path}",
        "instance_path": str(path.parent / "instance"),
        "feed_max_age": max_age,
    }


def fresh_demo_app(path: Path, max_age: int) -> Any:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = create_app(bench_settings(path, max_age))
    svc = services(app)
    svc.store.upgrade()
    load_demo(svc.newsroom)
    return app


class Articles:
    """New articles to publish: the demo's, under new titles (so new slugs)."""

    def __init__(self) -> None:
        self.bodies = [json.loads(line) for line in demo_lines()]
        self.count = 0

    def next(self, category: str | None = None) -> dict[str, Any]:
        body = dict(self.bodies[self.count % len(self.bodies)])
        self.count += 1
        for key in ("slug", "published_at", "updated_at", "status"):
            body.pop(key, None)
        body["title"] = f"{body['title']} (suite {self.count}, {secrets.token_hex(3)})"
        if category:
            body["categories"] = [category]
        return body


def channel_of(app: Any, feed: str) -> dict[str, Any]:
    svc = services(app)
    base = svc.settings.base_url
    category = svc.categories.get(feed)
    return {
        "title": category.title if category else svc.settings.site_name,
        "description": category.description if category else svc.settings.site_name,
        "self_url": feed_url(base, feed, "rss"),
        "home_url": category_url(base, feed),
        "base_url": base,
        "ttl": max(1, -(-svc.settings.feed_max_age // 60)),
    }


def newest_as_json(app: Any, feed: str, limit: int) -> list[dict[str, Any]]:
    svc = services(app)
    with svc.store.connect() as connection:
        found = article_store.newest(
            connection, None if feed == "all" else feed, svc.clock(), limit
        )
    return [article_json(article, svc.settings.base_url) for article in found]


# Regeneration, in-process ---------------------------------------------------------------------


@dataclass
class Timed:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run(self, work: Callable[[], Any]) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        result = work()
        self.wall.append(time.perf_counter() - wall)
        self.cpu.append(time.process_time() - cpu)
        return result

    @property
    def median_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    @property
    def cpu_median_ms(self) -> float:
        return statistics.median(self.cpu) * 1000


def wsgi_get(app: Any, path: str) -> tuple[str, bytes]:
    environ = EnvironBuilder(path=path, base_url="http://127.0.0.1:8000").get_environ()
    status: list[str] = []

    def start_response(line: str, headers: Any, exc_info: Any = None) -> None:
        status.append(line)

    def request() -> bytes:
        chunks = app(environ, start_response)
        try:
            return b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()

    body = request()
    return status[0], body


def regeneration(args: argparse.Namespace) -> dict[str, Any]:
    """Publish, then time the first request of ``all.rss`` against feedgen's own time."""
    app = fresh_demo_app(args.out / "regen.sqlite3", 300)
    svc = services(app)
    feeds = publishing(app).feeds
    size = svc.settings.feed_size
    articles = Articles()
    while len(newest_as_json(app, "all", size)) < size:  # the feed holds a full page
        svc.newsroom.create(articles.next())
    path = "/feeds/all.rss"
    channel = channel_of(app, "all")
    wsgi_get(app, path)

    ours, floor, cold = Timed(), Timed(), Timed()
    items = 0
    sizes: list[int] = []
    for number in range(args.repeat):
        created = svc.newsroom.create(articles.next())
        inputs = prepared(newest_as_json(app, "all", size))
        renders = feeds.renders

        def ours_request() -> tuple[str, bytes]:
            return wsgi_get(app, path)

        def feedgen_alone(inputs: list[dict[str, Any]] = inputs) -> bytes:
            return feedgen_rss(channel, inputs)

        if number % 2 == 0:
            status, body = ours.run(ours_request)
            floor.run(feedgen_alone)
        else:
            floor.run(feedgen_alone)
            status, body = ours.run(ours_request)
        if not status.startswith("200") or feeds.renders != renders + 1:
            raise SystemExit(f"regeneration: {status}, {feeds.renders - renders} renderings")
        if f"/articles/{created.slug}".encode() not in body:
            raise SystemExit("regeneration: the new article is not in the feed")
        items = body.count(b"<item>")
        sizes.append(len(body))
    if items != size:
        raise SystemExit(f"regeneration: {items} items in the feed, expected {size}")

    # For information: a first rendering with nothing rendered before (a fresh process).
    for _ in range(max(5, args.repeat // 4)):
        feeds.cache.clear()
        feeds.fragments.clear()
        cold.run(lambda: wsgi_get(app, path))

    if args.profile:
        profiler = cProfile.Profile()
        for _ in range(20):
            svc.newsroom.create(articles.next())
            profiler.runcall(wsgi_get, app, path)
        print("\nprofile: 20 first requests after a publish", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    publishing(app).close()
    svc.store.dispose()
    return {
        "items": items,
        "bytes": statistics.median(sizes),
        "repeat": args.repeat,
        "ours_ms": ours.median_ms,
        "ours_cpu_ms": ours.cpu_median_ms,
        "feedgen_ms": floor.median_ms,
        "feedgen_cpu_ms": floor.cpu_median_ms,
        "cold_ms": cold.median_ms,
        "ratio": ours.median_ms / floor.median_ms,
        "ratio_cpu": ours.cpu_median_ms / floor.cpu_median_ms,
        "cold_ratio": cold.median_ms / floor.median_ms,
    }


# HTTP rows ------------------------------------------------------------------------------------


@dataclass
class Endpoint:
    key: str
    label: str
    port: int
    path: str
    headers: tuple[str, ...] = ()


@dataclass
class Pair:
    floor: Endpoint
    ours: Endpoint
    target: float
    floor_runs: list[WrkRun] = field(default_factory=list)
    ours_runs: list[WrkRun] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [o.rate / f.rate for o, f in zip(self.ours_runs, self.floor_runs, strict=True)]


def gunicorn_command(bind_port: int, chdir: Path, app: str) -> list[str]:
    # The same settings for the floors and for ours: 2 sync workers, no access log.
    return [
        sys.executable, "-m", "gunicorn",
        "--workers", "2", "--worker-class", "sync",
        "--bind", f"127.0.0.1:{bind_port}",
        "--chdir", str(chdir), "--log-level", "warning",
        app,
    ]  # fmt: skip


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNDICATE_", "FEEDS_"))}
    env.update(extra)
    return env


@dataclass
class Tools:
    wrk: str | None
    nginx: str | None
    gunicorn: bool

    @classmethod
    def find(cls) -> Tools:
        nginx = shutil.which("nginx") or next(
            (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
        )
        try:
            import gunicorn  # noqa: F401
        except ImportError:
            has_gunicorn = False
        else:
            has_gunicorn = True
        return cls(shutil.which("wrk"), nginx, has_gunicorn)

    def missing(self) -> list[str]:
        found = []
        if not self.wrk:
            found.append("wrk (apt-get install -y wrk): every HTTP row is skipped")
        if not self.nginx:
            found.append("nginx (apt-get install -y nginx): the nginx rows are skipped")
        if not self.gunicorn:
            found.append("gunicorn (pip install gunicorn): the gunicorn rows are skipped")
        return found


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"check failed: {message}")


def http_rows(args: argparse.Namespace, tools: Tools) -> dict[str, Any]:
    args.out.mkdir(parents=True, exist_ok=True)
    logs = args.out / "logs"
    logs.mkdir(exist_ok=True)
    processes = Processes(logs)
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return _http_rows(args, tools, processes)
    finally:
        processes.stop_all()
        signal.signal(signal.SIGTERM, previous)


def _http_rows(args: argparse.Namespace, tools: Tools, processes: Processes) -> dict[str, Any]:
    assert tools.wrk is not None
    store_path = args.out / "http.sqlite3"
    app = fresh_demo_app(store_path, args.max_age)
    svc = services(app)
    with svc.store.begin() as connection:
        _, token = tokens.create(connection, "feeds-bench", svc.clock())
    floor_input = {
        "channel": channel_of(app, HTTP_FEED),
        "articles": newest_as_json(app, HTTP_FEED, svc.settings.feed_size),
    }
    settings = bench_settings(store_path, args.max_age)
    publishing(app).close()
    svc.store.dispose()

    ours_port, floor_port = free_port(), free_port()
    env = clean_env({f"SYNDICATE_{k.upper()}": str(v) for k, v in settings.items()})
    ours_pid = processes.start("gunicorn-ours", gunicorn_command(ours_port, ROOT, "wsgi:app"), env)
    wait_for_port(ours_port, processes, ours_pid, "gunicorn-ours")
    feed_path = f"/feeds/{HTTP_FEED}.rss"
    for _ in range(8):  # every worker renders it once
        first = get(ours_port, feed_path)
    check(first.status == 200, f"ours {feed_path}: {first.status}")
    body, etag = first.body, first.headers["etag"]
    check(get(ours_port, feed_path, {"If-None-Match": etag}).status == 304, "ours: no 304")

    static_dir = args.out / "static"
    static_dir.mkdir(exist_ok=True)
    (static_dir / "feed.rss").write_bytes(body)
    (args.out / "floor-body.rss").write_bytes(body)
    (args.out / "floor-input.json").write_text(json.dumps(floor_input, ensure_ascii=False))
    floor_env = clean_env(
        {
            "FEEDS_FLOOR_BODY": str(args.out / "floor-body.rss"),
            "FEEDS_FLOOR_ETAG": etag,
            "FEEDS_FLOOR_INPUT": str(args.out / "floor-input.json"),
        }
    )
    floor_pid = processes.start(
        "gunicorn-floors", gunicorn_command(floor_port, BENCH, "feeds_floors:app"), floor_env
    )
    wait_for_port(floor_port, processes, floor_pid, "gunicorn-floors")
    bare = get(floor_port, "/cached.rss")
    check(bare.status == 200 and bare.body == body, "bare floor: not the same bytes")
    check(get(floor_port, "/cached.rss", {"If-None-Match": etag}).status == 304, "bare: no 304")
    generated = get(floor_port, "/generated.rss")
    check(generated.status == 200, f"feedgen floor: {generated.status}")
    check(generated.body.count(b"<item>") == body.count(b"<item>"), "feedgen floor: item count")

    not_modified = (f"If-None-Match: {etag}",)
    endpoints = {
        endpoint.key: endpoint
        for endpoint in (
            Endpoint("bare-cached", "bare Flask, cached bytes", floor_port, "/cached.rss"),
            Endpoint("ours-cached", "ours: cached feed, full app", ours_port, feed_path),
            Endpoint("bare-304", "bare Flask 304", floor_port, "/cached.rss", not_modified),
            Endpoint("ours-304", "ours: 304, full app", ours_port, feed_path, not_modified),
            Endpoint("feedgen", "bare Flask + feedgen per request", floor_port, "/generated.rss"),
        )
    }
    servers = {ours_port: ours_pid, floor_port: floor_pid}
    pairs = [
        Pair(endpoints["bare-cached"], endpoints["ours-cached"], CACHED_TARGET),
        Pair(endpoints["bare-304"], endpoints["ours-304"], NOT_MODIFIED_TARGET),
    ]
    nginx_port = None
    if tools.nginx:
        prefix = args.out / "nginx"
        shutil.rmtree(prefix, ignore_errors=True)
        for sub in ("tmp", "cache"):
            (prefix / sub).mkdir(parents=True)
        nginx_port = free_port()
        (prefix / "nginx.conf").write_text(nginx_config(prefix, nginx_port, ours_port, static_dir))
        nginx_pid = processes.start("nginx", nginx_command(tools.nginx, prefix), os.environ.copy())
        wait_for_port(nginx_port, processes, nginx_pid, "nginx")
        static = get(nginx_port, "/floor/feed.rss")
        check(static.status == 200 and static.body == body, "nginx static: not the same bytes")
        get(nginx_port, feed_path)
        cached = get(nginx_port, feed_path)
        check(cached.body == body, "nginx cache: not the same bytes")
        check(cached.headers.get("x-cache-status") == "HIT", f"nginx cache: {cached.headers}")
        servers[nginx_port] = nginx_pid
        for endpoint in (
            Endpoint("nginx-static", "nginx, static file", nginx_port, "/floor/feed.rss"),
            Endpoint("nginx-cache", "ours behind nginx proxy_cache", nginx_port, feed_path),
        ):
            endpoints[endpoint.key] = endpoint
        pairs.insert(0, Pair(endpoints["nginx-static"], endpoints["nginx-cache"], NGINX_TARGET))

    def wrk(endpoint: Endpoint) -> WrkRun:
        url = f"http://127.0.0.1:{endpoint.port}{endpoint.path}"
        return run_wrk(tools.wrk or "wrk", url, args, endpoint.headers, servers[endpoint.port])

    print(f"warming up {len(endpoints)} endpoints", file=sys.stderr)
    warm = argparse.Namespace(**{**vars(args), "duration": 1})
    for endpoint in endpoints.values():
        run_wrk(
            tools.wrk,
            f"http://127.0.0.1:{endpoint.port}{endpoint.path}",
            warm,
            endpoint.headers,
            None,
        )
    feedgen_runs: list[WrkRun] = []
    for round_number in range(args.rounds):
        for pair in pairs:
            if round_number % 2 == 0:
                pair.floor_runs.append(wrk(pair.floor))
                pair.ours_runs.append(wrk(pair.ours))
            else:
                pair.ours_runs.append(wrk(pair.ours))
                pair.floor_runs.append(wrk(pair.floor))
            print(
                f"round {round_number + 1}/{args.rounds}: {pair.ours.label}"
                f" {pair.ours_runs[-1].rate:,.0f} req/s, {pair.floor.label}"
                f" {pair.floor_runs[-1].rate:,.0f} req/s",
                file=sys.stderr,
            )
        feedgen_runs.append(wrk(endpoints["feedgen"]))

    staleness = None
    if nginx_port is not None:
        staleness = stale_check(args, nginx_port, ours_port, token, feed_path)
    return {
        "feed": feed_path,
        "bytes": len(body),
        "pairs": pairs,
        "feedgen_runs": feedgen_runs,
        "staleness": staleness,
    }


def stale_check(
    args: argparse.Namespace, nginx_port: int, ours_port: int, token: str, feed_path: str
) -> dict[str, Any]:
    """Publish just after nginx refreshed its copy (the worst case), then poll through nginx
    until the new article shows; the wait must stay within max-age."""
    articles = Articles()
    waits: list[float] = []
    hits_while_stale: list[int] = []
    for _ in range(args.stale_trials):
        deadline = time.monotonic() + args.max_age + 10
        while True:  # until nginx has just (re)validated its copy with us
            status = get(nginx_port, feed_path).headers.get("x-cache-status", "")
            if status != "HIT" or time.monotonic() > deadline:
                break
            time.sleep(POLL)
        payload = articles.next(HTTP_FEED)
        published_at = time.monotonic()
        created = post_json(ours_port, "/api/v1/articles", payload, token)
        check(created.status == 201, f"publish: {created.status} {created.body[:200]!r}")
        slug = json.loads(created.body)["slug"]
        marker = f"/articles/{slug}".encode()
        check(marker in get(ours_port, feed_path).body, "the app itself does not show it")
        hits = 0
        limit = published_at + args.max_age + STALE_EPSILON + 10
        while True:
            reply = get(nginx_port, feed_path)
            if marker in reply.body:
                waits.append(time.monotonic() - published_at)
                break
            hits += reply.headers.get("x-cache-status") == "HIT"
            if time.monotonic() > limit:
                waits.append(float("inf"))
                break
            time.sleep(POLL)
        hits_while_stale.append(hits)
        print(f"stale check: new item through nginx after {waits[-1]:.2f} s", file=sys.stderr)
    return {"waits_s": waits, "stale_hits": hits_while_stale, "max_age": args.max_age}


# Report ---------------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    value: str
    floor_label: str
    floor_value: str
    ratio: float | None
    target: str
    passed: bool | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def rows_of(http: dict[str, Any] | None, regen: dict[str, Any] | None, skipped: str) -> list[Row]:
    rows: list[Row] = []
    if http is not None:
        for pair in http["pairs"]:
            ratio = statistics.median(pair.ratios)
            ours_rate = statistics.median(r.rate for r in pair.ours_runs)
            floor_rate = statistics.median(r.rate for r in pair.floor_runs)
            spread = (
                f"rounds {min(pair.ratios):.2f}–{max(pair.ratios):.2f},"
                f" ratio of medians {ours_rate / floor_rate:.2f}x"
            )
            cpu = [r.cpu_us_per_request for r in pair.ours_runs if r.cpu_us_per_request]
            floor_cpu = [r.cpu_us_per_request for r in pair.floor_runs if r.cpu_us_per_request]
            if cpu and floor_cpu:
                spread += (
                    f"; server CPU {statistics.median(cpu):.0f} vs"
                    f" {statistics.median(floor_cpu):.0f} µs/req"
                )
            errors = sum(r.errors for r in pair.ours_runs + pair.floor_runs)
            if errors:
                spread += f"; {errors} errors"
            rows.append(
                Row(
                    pair.ours.label,
                    f"{ours_rate:,.0f} req/s",
                    pair.floor.label,
                    f"{floor_rate:,.0f} req/s",
                    ratio,
                    f"≥ {pair.target}x",
                    ratio >= pair.target and not errors,
                    spread,
                )
            )
        feedgen = [r.rate for r in http["feedgen_runs"]]
        rows.append(
            Row(
                "bare Flask + feedgen per request",
                f"{statistics.median(feedgen):,.0f} req/s",
                "—",
                "—",
                None,
                "floor",
                None,
                "for scale: what caching saves",
            )
        )
    else:
        rows.append(Row("HTTP rows", "skipped", "—", "—", None, "—", None, skipped))
    if regen is not None:
        rows.append(
            Row(
                f"ours: first request after a publish ({regen['items']} items, "
                f"{regen['bytes'] / 1024:.0f} KB)",
                f"{regen['ours_ms']:.2f} ms",
                "feedgen alone, same articles",
                f"{regen['feedgen_ms']:.2f} ms",
                regen["ratio"],
                f"≤ {REGENERATE_TARGET}x",
                regen["ratio"] <= REGENERATE_TARGET,
                f"median of {regen['repeat']}; CPU ratio {regen['ratio_cpu']:.2f}x",
            )
        )
        rows.append(
            Row(
                "ours: first rendering in a fresh process",
                f"{regen['cold_ms']:.2f} ms",
                "feedgen alone, same articles",
                f"{regen['feedgen_ms']:.2f} ms",
                regen["cold_ratio"],
                "—",
                None,
                "for information: nothing rendered before",
            )
        )
    staleness = http.get("staleness") if http else None
    if staleness is not None:
        worst = max(staleness["waits_s"])
        limit = staleness["max_age"] + STALE_EPSILON
        rows.append(
            Row(
                "new item visible through nginx after a publish",
                f"{worst:.2f} s (worst of {len(staleness['waits_s'])})",
                "max-age",
                f"{staleness['max_age']} s",
                worst / staleness["max_age"],
                f"≤ max-age + {STALE_EPSILON} s",
                worst <= limit,
                f"stale HITs served meanwhile: {staleness['stale_hits']}",
            )
        )
    elif http is not None:
        rows.append(Row("nginx rows", "skipped", "—", "—", None, "—", None, skipped))
    return rows


def table(rows: list[Row], judged: bool) -> str:
    lines = [
        "| row | ours | floor | floor value | ratio | target | verdict | notes |",
        "| --- | ---: | --- | ---: | ---: | --- | --- | --- |",
    ]
    for row in rows:
        if row.passed is None:
            verdict = "—"
        elif not judged:
            verdict = "not judged (--quick)"
        else:
            verdict = "PASS" if row.passed else "FAIL"
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "—"
        lines.append(
            f"| {row.label} | {row.value} | {row.floor_label} | {row.floor_value} | {ratio}"
            f" | {row.target} | {verdict} | {row.note} |"
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = [f"Python {platform.python_version()}"]
    for command in (["nginx", "-v"], ["wrk", "-v"]):
        with contextlib.suppress(OSError):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            first = (done.stderr or done.stdout).strip().splitlines()
            if first:
                versions.append(first[0].split(" [")[0])
    return f"{cpu}, {os.cpu_count()} CPUs, " + ", ".join(versions)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke sizes, ratios not judged")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (2; quick 1)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of every pair (8; quick 1)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--repeat", type=int, help="publishes timed in-process (60; quick 8)")
    parser.add_argument(
        "--max-age", type=int, help="feeds' max-age for the nginx rows (5; quick 2)"
    )
    parser.add_argument(
        "--stale-trials", type=int, help="publishes polled through nginx (3; quick 1)"
    )
    parser.add_argument("--no-http", action="store_true", help="only the in-process row")
    parser.add_argument("--profile", action="store_true", help="cProfile of regenerations")
    parser.add_argument("--out", type=Path, default=OUT, help="stores, nginx prefix, results")
    args = parser.parse_args(argv)
    args.duration = args.duration or (1 if args.quick else 2)
    args.rounds = args.rounds or (1 if args.quick else 8)
    args.repeat = args.repeat or (8 if args.quick else 60)
    args.max_age = args.max_age or (2 if args.quick else 5)
    args.stale_trials = args.stale_trials or (1 if args.quick else 3)
    args.out = args.out.resolve()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    tools = Tools.find()
    print(f"feeds bench: {machine()}", file=sys.stderr)
    for missing in tools.missing():
        print(f"missing: {missing}", file=sys.stderr)
    loads = [os.getloadavg()[0]]
    regen = regeneration(args)
    http = None
    if not args.no_http and tools.wrk and tools.gunicorn:
        http = http_rows(args, tools)
    loads.append(os.getloadavg()[0])
    skipped = "--no-http" if args.no_http else "; ".join(tools.missing())
    rows = rows_of(http, regen, skipped)
    judged = not args.quick
    print(
        f"\nFeeds (HTTP): wrk -t{args.threads} -c{args.connections}, {args.rounds} round(s) of"
        f" {args.duration} s per row; gunicorn --workers 2 --worker-class sync, no access log"
    )
    if http is not None:
        print(f"Feed served: {http['feed']} ({http['bytes']:,} bytes, the demo content)")
    print(table(rows, judged))
    cpus = os.cpu_count() or 1
    print(f"\nLoad average while measuring: {loads[0]:.1f} -> {loads[1]:.1f} on {cpus} CPUs.")
    if max(loads) > cpus:
        print("WARNING: the machine was busy with other work; rates are noisy. Rerun when quiet.")
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "quick": args.quick,
        "load_average": loads,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": [row.as_dict() for row in rows],
        "regeneration": regen,
    }
    (args.out / "feeds_bench.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    failed = [row for row in rows if row.passed is False]
    return 1 if judged and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
