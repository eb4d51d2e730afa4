"""The fault matrix: transport faults every API can show, and each wire format's own breakages.

Each source's cases target one unit (a protocol, a symbol's batch, one /rows request) so the
others must still land; the harness then reruns clean and compares with a clean run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fake_apis.server import FakeApiServer, Fault, Request
from tests.faults.harness import Case, faults, http_date

HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
    "<body><h1>Sorry, you have been blocked</h1></body></html>"
)
#: the fault worlds set every client's timeout to 1 s
SLOW_S = 1.6


def transport_cases(
    path: str, unit: str, *, predicate: Callable[[Request], bool] | None = None, malformed: str = "malformed"
) -> list[Case]:
    """Faults of the wire itself, on the unit at ``path`` (and ``predicate``)."""

    def on_unit(**kwargs: Any) -> Fault:
        return Fault(path, predicate=predicate, **kwargs)

    def rate_limited_until_a_date(server: FakeApiServer) -> None:
        server.add_fault(on_unit(status=429, retry_after=http_date(1.5), times=1))

    cases = [
        Case(f"http_{status}_burst", faults(on_unit(status=status, times=2)), 0)
        for status in (500, 502, 503, 504)
    ]
    cases += [
        Case("http_503_persistent", faults(on_unit(status=503, times=None)), 1, rf"FAILED {unit}.*HTTP 503"),
        Case("http_429_retry_after_seconds", faults(on_unit(status=429, retry_after="1", times=2)), 0),
        Case("http_429_retry_after_date", rate_limited_until_a_date, 0),
        Case("http_429_without_retry_after", faults(on_unit(status=429, times=2)), 0),
        Case(
            "http_429_persistent", faults(on_unit(status=429, retry_after="0.2", times=None)), 1, r"HTTP 429"
        ),
        Case("timeout_once", faults(on_unit(delay_s=SLOW_S, times=1, passthrough=True)), 0),
        Case(
            "timeout_persistent",
            faults(on_unit(delay_s=SLOW_S, times=None, passthrough=True)),
            1,
            rf"FAILED {unit}.*Timeout",
        ),
        Case("reset_mid_body_once", faults(on_unit(passthrough=True, reset_after=12, times=1)), 0),
        Case(
            "reset_mid_body_persistent",
            faults(on_unit(passthrough=True, reset_after=12, times=None)),
            1,
            rf"FAILED {unit}.*(ChunkedEncodingError|ConnectionError|broke off)",
        ),
        Case(
            "html_200_once",
            faults(on_unit(status=200, body=HTML_PAGE, content_type="text/html", times=1)),
            0,
        ),
        Case(
            "html_200_persistent",
            faults(on_unit(status=200, body=HTML_PAGE, content_type="text/html", times=None)),
            1,
            rf"FAILED {unit}.*HTML page",
        ),
        Case(
            "html_403_from_a_proxy",
            faults(on_unit(status=403, body=HTML_PAGE, content_type="text/html", times=None)),
            1,
            rf"FAILED {unit}.*proxy or firewall",
        ),
        Case(
            "auth_401_refused_key",
            faults(Fault(".*", status=401, body='{"error":"invalid API key"}', times=None)),
            2,
            r"^error: .*HTTP 401.*API key",
        ),
    ]
    return cases


# -- DefiLlama ----------------------------------------------------------------------------------------


def _json_mutation(change: Callable[[Any], Any]) -> Callable[[bytes], bytes]:
    def mutate(body: bytes) -> bytes:
        return json.dumps(change(json.loads(body))).encode()

    return mutate


def _tvl_points(change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Callable[[Any], Any]:
    def apply(payload: dict[str, Any]) -> dict[str, Any]:
        payload["tvl"] = change(payload["tvl"])
        return payload

    return apply


def _with_extra_fields(payload: dict[str, Any]) -> dict[str, Any]:
    payload["newSection"] = {"launched": True, "score": [1, 2]}
    for point in payload["tvl"]:
        point["tvlUsdAdjusted"] = 1.0
    return payload


def _without_series(payload: dict[str, Any]) -> dict[str, Any]:
    payload["tvl"], payload["chainTvls"] = [], {}
    return payload


def _without_top_level_tvl(payload: dict[str, Any]) -> dict[str, Any]:
    del payload["tvl"]
    return payload


def defillama_cases() -> list[Case]:
    protocol = r"/api/protocol/aave-v2$"
    unit = "protocol_tvl aave-v2"

    def on_protocol(
        mutation: Callable[[Any], Any], times: int | None = None
    ) -> Callable[[FakeApiServer], None]:
        return faults(Fault(protocol, passthrough=True, mutate=_json_mutation(mutation), times=times))

    def truncated(fraction: float) -> Callable[[bytes], bytes]:
        return lambda body: body[: max(1, int(len(body) * fraction))]

    cases = transport_cases(protocol, unit)
    cases += [
        Case(
            "truncated_body_once",
            faults(Fault(protocol, passthrough=True, mutate=truncated(0.5), times=1)),
            0,
        ),
        *(
            Case(
                f"truncated_body_at_{int(f * 100)}pct",
                faults(Fault(protocol, passthrough=True, mutate=truncated(f), times=None)),
                1,
                rf"FAILED {unit}.*malformed JSON",
            )
            for f in (0.0, 0.5, 0.999)
        ),
        Case(
            "empty_body",
            faults(Fault(protocol, status=200, body="", times=None)),
            1,
            rf"FAILED {unit}.*0 bytes",
        ),
        Case("extra_fields", on_protocol(_with_extra_fields), 0),
        Case(
            "renamed_value_key",
            on_protocol(
                _tvl_points(lambda ps: [{"date": p["date"], "tvlUSD": p["totalLiquidityUSD"]} for p in ps])
            ),
            1,
            rf"FAILED {unit}: the response changed shape.*totalLiquidityUSD",
        ),
        Case(
            "numbers_as_strings",
            on_protocol(
                _tvl_points(lambda ps: [{**p, "totalLiquidityUSD": str(p["totalLiquidityUSD"])} for p in ps])
            ),
            0,
        ),
        Case(
            "dates_as_strings",
            on_protocol(_tvl_points(lambda ps: [{**p, "date": str(p["date"])} for p in ps])),
            0,
        ),
        Case("duplicate_points_equal", on_protocol(_tvl_points(lambda ps: ps + ps)), 0),
        Case(
            "duplicate_points_different",  # the first point of a timestamp is kept
            on_protocol(
                _tvl_points(
                    lambda ps: ps + [{**p, "totalLiquidityUSD": p["totalLiquidityUSD"] * 2} for p in ps]
                )
            ),
            0,
        ),
        Case("out_of_order_points", on_protocol(_tvl_points(lambda ps: list(reversed(ps)))), 0),
        Case("empty_series", on_protocol(_without_series), 0, rf"skipped {unit}: no data point"),
        Case(
            "no_top_level_tvl", on_protocol(_without_top_level_tvl), 0, r"no top-level tvl; summed \d+ days"
        ),
        Case(
            "unknown_protocol_400",
            faults(
                Fault(protocol, status=400, body="Protocol not found", content_type="text/plain", times=None)
            ),
            0,
            rf"skipped {unit}: HTTP 400",
        ),
        Case(
            "chart_without_totalDataChart",
            faults(
                Fault(
                    r"/api/summary/fees/aave-v2$",
                    passthrough=True,
                    mutate=_json_mutation(lambda p: {k: v for k, v in p.items() if k != "totalDataChart"}),
                    times=None,
                )
            ),
            1,
            r"FAILED protocol_dimensions aave-v2 (fees|revenue): the response changed shape.*totalDataChart",
        ),
    ]
    return cases


# -- Artemis ------------------------------------------------------------------------------------------


def _btc_batch(request: Request) -> bool:
    return "btc" in (request.param("symbols") or "").lower().split(",")


def _series_change(change: Callable[[list[dict[str, Any]]], Any]) -> Callable[[Any], Any]:
    def apply(payload: dict[str, Any]) -> dict[str, Any]:
        for metrics in payload["data"]["symbols"].values():
            if isinstance(metrics, dict) and isinstance(metrics.get("PRICE"), list):
                metrics["PRICE"] = change(metrics["PRICE"])
        return payload

    return apply


def artemis_cases() -> list[Case]:
    path = r"/data/api/"
    unit = "btc"

    def on_btc(change: Callable[[Any], Any]) -> Callable[[FakeApiServer], None]:
        return faults(
            Fault(path, predicate=_btc_batch, passthrough=True, mutate=_json_mutation(change), times=None)
        )

    def poison(server: FakeApiServer) -> None:
        server.artemis.poison_symbols = {"btc"}  # type: ignore[attr-defined]
        server.artemis.fail_over_symbols = 2  # type: ignore[attr-defined]

    def unpoison(server: FakeApiServer) -> None:
        server.artemis.poison_symbols = set()  # type: ignore[attr-defined]
        server.artemis.fail_over_symbols = 50  # type: ignore[attr-defined]

    def big_batches(server: FakeApiServer) -> None:
        server.artemis.fail_over_symbols = 2  # type: ignore[attr-defined]

    one_batch = {"SOURCES__ARTEMIS__MAX_SYMBOLS_PER_REQUEST": "50"}
    cases = transport_cases(path, unit, predicate=_btc_batch)
    cases += [
        Case(
            "truncated_body_once",
            faults(Fault(path, predicate=_btc_batch, passthrough=True, truncate_to=40, times=1)),
            0,
        ),
        Case(
            "truncated_body_persistent",
            faults(Fault(path, predicate=_btc_batch, passthrough=True, truncate_to=40, times=None)),
            1,
            rf"FAILED {unit}.*malformed JSON",
        ),
        Case(
            "empty_body",
            faults(Fault(path, predicate=_btc_batch, status=200, body="", times=None)),
            1,
            rf"FAILED {unit}.*0 bytes",
        ),
        Case("extra_fields", on_btc(lambda p: {**p, "meta": {"v": 2}}), 0),
        Case(
            "renamed_value_key",
            on_btc(_series_change(lambda ps: [{"date": x["date"], "value": x["val"]} for x in ps])),
            1,
            r"FAILED btc PRICE: the response changed shape",
        ),
        Case(
            "numbers_as_strings",
            on_btc(_series_change(lambda ps: [{**x, "val": str(x["val"])} for x in ps])),
            0,
        ),
        Case("duplicate_dates_equal", on_btc(_series_change(lambda ps: ps + ps)), 0),
        Case(
            "duplicate_dates_different",  # the last value of a date is kept, and counted
            on_btc(_series_change(lambda ps: ps + [{**x, "val": x["val"] * 2} for x in ps])),
            0,
            r"listed twice with different values; kept the last",
        ),
        Case("out_of_order_dates", on_btc(_series_change(lambda ps: list(reversed(ps)))), 0),
        Case(
            "empty_series", on_btc(_series_change(lambda ps: [])), 0, r"skipped btc PRICE .*came back empty"
        ),
        Case(
            "metric_not_available",
            on_btc(_series_change(lambda ps: "Metric not available for asset.")),
            0,
            r"skipped btc PRICE .*Metric not available",
        ),
        Case(
            "symbols_is_a_string",
            on_btc(lambda p: {"data": {"symbols": "Latest data not available for this asset."}}),
            0,
            r"skipped btc .*came back empty",
        ),
        Case(
            "big_batches_answer_500_and_are_halved",
            big_batches,
            0,
            r"split in halves",
            restore=unpoison,
            env=one_batch,
        ),
        Case(
            "one_symbol_breaks_its_batch",
            poison,
            1,
            r"FAILED btc ",
            restore=unpoison,
            env=one_batch,
        ),
    ]
    return cases


# -- Velo ---------------------------------------------------------------------------------------------


def _btc_rows(request: Request) -> bool:
    return "BTC" in (request.param("coins") or "").split(",")


def _csv_lines(
    change: Callable[[list[str], list[str]], tuple[list[str], list[str]]],
) -> Callable[[bytes], bytes]:
    def mutate(body: bytes) -> bytes:
        header, *rows = body.decode().splitlines()
        new_header, new_rows = change(header.split(","), rows)
        return ("\n".join([",".join(new_header), *new_rows]) + "\n").encode()

    return mutate


def _drop_column(name: str) -> Callable[[list[str], list[str]], tuple[list[str], list[str]]]:
    def change(header: list[str], rows: list[str]) -> tuple[list[str], list[str]]:
        index = header.index(name)
        cut = [",".join(v for i, v in enumerate(row.split(",")) if i != index) for row in rows]
        return [h for i, h in enumerate(header) if i != index], cut

    return change


def _quote_numbers(header: list[str], rows: list[str]) -> tuple[list[str], list[str]]:
    quoted = []
    for row in rows:
        values = row.split(",")
        quoted.append(",".join(values[:4] + [f'"{v}"' if v else v for v in values[4:]]))
    return header, quoted


def _rows_outside_window(header: list[str], rows: list[str]) -> tuple[list[str], list[str]]:
    times = [int(row.split(",")[3]) for row in rows]
    last = max(times)
    later = [re.sub(r"^((?:[^,]*,){3})\d+", rf"\g<1>{last + 3_600_000 * 5}", row) for row in rows[:3]]
    return header, rows + later


def _repeat_with_other_values(header: list[str], rows: list[str]) -> tuple[list[str], list[str]]:
    changed = []
    for row in rows:
        values = row.split(",")
        values[4:] = ["1" if v else v for v in values[4:]]
        changed.append(",".join(values))
    return header, rows + changed


def _cut_at_line_end(body: bytes) -> bytes:
    return body[: body.rindex(b"\n", 0, int(len(body) * 0.6)) + 1]


def _cut_inside_field(body: bytes) -> bytes:
    return body[: body.rindex(b"\n", 0, int(len(body) * 0.6)) + 12]


def velo_cases() -> list[Case]:
    path = r"/api/v1/rows$"
    unit = r"rows bybit \["

    def on_btc(mutate: Callable[[bytes], bytes], times: int | None = None) -> Callable[[FakeApiServer], None]:
        return faults(Fault(path, predicate=_btc_rows, passthrough=True, mutate=mutate, times=times))

    def minute_rows(server: FakeApiServer) -> None:
        server.velo.minute_rows = True  # type: ignore[attr-defined]

    def hourly_rows(server: FakeApiServer) -> None:
        server.velo.minute_rows = False  # type: ignore[attr-defined]

    def null_literal(server: FakeApiServer) -> None:
        server.velo.null_literal = True  # type: ignore[attr-defined]

    def empty_literal(server: FakeApiServer) -> None:
        server.velo.null_literal = False  # type: ignore[attr-defined]

    cases = transport_cases(path, unit, predicate=_btc_rows)
    cases += [
        Case("cut_at_a_line_end_once", on_btc(_cut_at_line_end, times=1), 0),
        Case("cut_inside_a_field_once", on_btc(_cut_inside_field, times=1), 0),
        Case(
            "cut_inside_a_field_persistent",
            on_btc(_cut_inside_field),
            1,
            rf"FAILED {unit}.*cut short.*line break",
        ),
        Case(
            "cut_at_a_line_end_persistent",  # two identical short answers are taken, and said so
            on_btc(_cut_at_line_end),
            0,
            r"note: .*pairs end at different times.*identical answers",
        ),
        Case("empty_body", on_btc(lambda body: b""), 0, r"skipped \w+ on bybit: came back empty"),
        Case(
            "header_only",
            on_btc(lambda body: body.split(b"\n", 1)[0] + b"\n"),
            0,
            r"skipped \w+ on bybit: came back empty",
        ),
        Case(
            "extra_column",
            on_btc(_csv_lines(lambda h, rs: ([*h, "new_metric"], [r + ",1.5" for r in rs]))),
            0,
        ),
        Case(
            "missing_column",
            on_btc(_csv_lines(_drop_column("funding_rate"))),
            1,
            rf"FAILED {unit}.*unexpected /rows CSV",
        ),
        Case("quoted_numbers", on_btc(_csv_lines(_quote_numbers)), 0),
        Case("null_literals", null_literal, 0, restore=empty_literal),
        Case("duplicate_rows_equal", on_btc(_csv_lines(lambda h, rs: (h, rs + rs))), 0),
        Case("duplicate_rows_different", on_btc(_csv_lines(_repeat_with_other_values)), 0),  # first row kept
        Case("out_of_order_rows", on_btc(_csv_lines(lambda h, rs: (h, list(reversed(rs))))), 0),
        Case("rows_outside_the_window", on_btc(_csv_lines(_rows_outside_window)), 0),
        Case(
            "minute_rows_despite_resolution_60",
            minute_rows,
            0,
            restore=hourly_rows,
            env={"SOURCES__VELO__TIMEOUT_S": "60"},  # 60x the rows: the fake needs longer
        ),
        Case(
            "over_the_values_limit_400",
            faults(Fault(path, predicate=_btc_rows, status=400, body="Too many values", times=None)),
            1,
            rf"FAILED {unit}.*HTTP 400",
        ),
    ]
    return cases
