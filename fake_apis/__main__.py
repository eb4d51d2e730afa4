"""Serve the fake APIs standalone: python -m fake_apis [--port N] [--sources a,b]."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import threading

from fake_apis.registry import install, installers
from fake_apis.server import FakeApiServer

READY_LINE = "# ready"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fake_apis", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--sources", default=",".join(installers()), help="comma-separated fakes to serve")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every response")
    parser.add_argument(
        "--cache",
        action="store_true",
        default=os.environ.get("FAKE_API_CACHE") == "1",
        help="answer repeated requests from memory (benchmarks; env FAKE_API_CACHE=1)",
    )
    args = parser.parse_args()
    server = FakeApiServer(port=args.port)
    server.latency_s = args.latency_ms / 1000
    server.log_requests = False
    server.cache_responses = args.cache
    env = install(server, [s for s in args.sources.split(",") if s])
    server.start()
    print(f"# fake APIs on {server.base_url}; point the pipelines at them with:", flush=True)
    for key, value in env.items():
        print(f"export {key}={shlex.quote(value)}", flush=True)
    print(READY_LINE, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
