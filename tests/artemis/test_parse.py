"""Every response variant in the reference samples -> exact rows and counts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipelines.sources.artemis.parse import ArtemisPayloadError, parse_metrics_payload

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = dt.date(2026, 11, 24)


def load(name: str) -> object:
    return json.loads((FIXTURES / name).read_text())


def test_equity_docs_example_gives_every_point() -> None:
    columns, stats = parse_metrics_payload(load("equity_valuation.json"), as_of=AS_OF)
    assert stats.points == 8 and not stats.no_data and stats.nulls == 0
    assert ("eq-nvda", "EARNINGS_YIELD", "2024-10-01", 2.13) in columns.rows()
    assert set(columns.metric) == {
        "ENTERPRISE_VALUE_DIVIDE_TOTAL_REVENUE",
        "ENTERPRISE_VALUE_DIVIDE_NET_INCOME",
        "ENTERPRISE_VALUE_DIVIDE_EBITDA",
        "EARNINGS_YIELD",
    }


def test_stablecoin_docs_example() -> None:
    columns, _ = parse_metrics_payload(load("stablecoin_transfer_volume.json"), as_of=AS_OF)
    assert columns.rows() == [("sol", "STABLECOIN_TRANSFER_VOLUME", "2026-08-01", 5398226672.518321)]


def test_lowercase_metric_keys_come_out_upper_case_and_match_upper_case_request() -> None:
    lower, _ = parse_metrics_payload(load("lowercase_metrics.json"), as_of=AS_OF)
    upper, _ = parse_metrics_payload(load("uppercase_metrics.json"), as_of=AS_OF)
    assert set(lower.metric) == {"PRICE", "MC", "24H_VOLUME", "FEES", "REVENUE", "DAU"}
    assert ("aave", "24H_VOLUME", "2025-10-01", 427739000.0) in lower.rows()
    shared = {row for row in lower.rows() if row[1] in {"PRICE", "MC", "FEES", "DAU"}}
    assert shared == set(upper.rows())


def test_error_strings_are_dropped_and_counted() -> None:
    columns, stats = parse_metrics_payload(load("error_strings.json"), as_of=AS_OF)
    assert sorted(columns.rows()) == [
        ("aave", "PRICE", "2025-10-01", 285.979426),
        ("abstract", "DAU", "2025-10-01", 48585.0),
    ]
    assert stats.no_data == {
        "Metric not available for asset.": 1,
        "Market data not available for asset.": 1,
        "Metric not found.": 1,
    }


def test_symbols_as_a_string_means_no_data() -> None:
    columns, stats = parse_metrics_payload(load("symbols_is_string.json"), as_of=AS_OF)
    assert len(columns) == 0
    assert stats.no_data == {"Latest data not available for this asset.": 1}


def test_latest_value_form_is_recorded_under_as_of() -> None:
    columns, stats = parse_metrics_payload(load("latest_no_dates.json"), as_of=AS_OF)
    assert sorted(columns.rows()) == [
        ("aave", "PRICE", "2026-11-24", 285.979426),
        ("ada", "PRICE", "2026-11-24", 0.849177),
    ]
    assert stats.points == 2


def test_legacy_artemis_ids_envelope() -> None:
    columns, _ = parse_metrics_payload(load("legacy_artemis_ids.json"), as_of=AS_OF)
    assert ("cardano", "REVENUE", "2025-10-01", 8429.368308) in columns.rows()


def test_nulls_strings_and_bad_points_inside_a_series() -> None:
    payload = {
        "data": {
            "symbols": {
                "BTC": {
                    "price": [
                        {"date": "2025-01-01", "val": 1},
                        {"date": "2025-01-02", "val": None},
                        {"date": "2025-01-03T00:00:00Z", "val": 3.5},
                        {"date": "2025-01-04", "val": "Metric not found."},
                        {"date": "not a date", "val": 5.0},
                        {"val": 6.0},
                        "junk",
                    ],
                    "MC": None,
                },
                "eth": "Market data not available for asset.",
            }
        }
    }
    columns, stats = parse_metrics_payload(payload, as_of=AS_OF)
    assert columns.rows() == [("btc", "PRICE", "2025-01-01", 1), ("btc", "PRICE", "2025-01-03", 3.5)]
    assert stats.nulls == 2
    assert stats.no_data == {"Metric not found.": 1, "Market data not available for asset.": 1}
    assert stats.malformed_points == 3


def test_arrow_table_has_typed_columns() -> None:
    columns, _ = parse_metrics_payload(load("uppercase_metrics.json"), as_of=AS_OF)
    table = columns.to_arrow()
    assert table.num_rows == 8
    assert str(table.schema.field("date").type) == "date32[day]"
    assert table.column("date")[0].as_py() == dt.date(2025, 10, 1)


@pytest.mark.parametrize("payload", [None, [], {"error": "x"}, {"data": {}}, {"data": {"symbols": [1]}}])
def test_not_the_envelope_is_an_error(payload: object) -> None:
    with pytest.raises(ArtemisPayloadError):
        parse_metrics_payload(payload, as_of=AS_OF)


def test_numbers_sent_as_strings_are_numbers() -> None:
    """Defect 3 of the fault matrix: numeric strings were all dropped as "no data" (0 of 440 rows)."""
    payload = {
        "data": {
            "symbols": {
                "btc": {
                    "PRICE": [{"date": "2025-01-01", "val": "97000.5"}, {"date": "2025-01-02", "val": "1e3"}],
                    "MC": "1.9e12",
                    "FEES": [
                        {"date": "2025-01-01", "val": "NaN"},
                        {"date": "2025-01-02", "val": "Metric not found."},
                    ],
                }
            }
        }
    }
    columns, stats = parse_metrics_payload(payload, as_of=AS_OF)
    assert columns.rows() == [
        ("btc", "PRICE", "2025-01-01", 97000.5),
        ("btc", "PRICE", "2025-01-02", 1000.0),
        ("btc", "MC", AS_OF.isoformat(), 1.9e12),
    ]
    assert stats.numeric_strings == 3
    assert stats.no_data == {"NaN": 1, "Metric not found.": 1}
    assert stats.empty_series == [("btc", "FEES")]


def test_a_date_listed_twice_keeps_its_last_value_and_is_counted() -> None:
    payload = {
        "data": {
            "symbols": {
                "btc": {
                    "PRICE": [
                        {"date": "2025-01-01", "val": 1.0},
                        {"date": "2025-01-02", "val": 2.0},
                        {"date": "2025-01-01", "val": 1.5},
                        {"date": "2025-01-02", "val": 2.0},
                    ]
                }
            }
        }
    }
    columns, stats = parse_metrics_payload(payload, as_of=AS_OF)
    assert columns.rows() == [("btc", "PRICE", "2025-01-01", 1.5), ("btc", "PRICE", "2025-01-02", 2.0)]
    assert stats.repeated_dates == 1


def test_points_that_lost_their_value_key_are_a_format_change_not_no_data() -> None:
    payload = {"data": {"symbols": {"btc": {"PRICE": [{"date": "2025-01-01", "value": 1.0}], "MC": []}}}}
    columns, stats = parse_metrics_payload(payload, as_of=AS_OF)
    assert columns.rows() == []
    assert stats.format_changes == [
        ("btc", "PRICE", "1 points but none with both 'date' and 'val' (keys seen: ['date', 'value'])")
    ]
    assert stats.empty_series == [("btc", "MC")]
