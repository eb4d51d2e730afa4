"""Fake vendor APIs for tests, benchmarks and ``make demo``."""

from fake_apis.server import FakeApiServer, Fault, Request, Response

__all__ = ["FakeApiServer", "Fault", "Request", "Response"]
