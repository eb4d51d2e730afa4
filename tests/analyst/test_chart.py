"""scripts/chart.py: what it plots is what the marts hold, line by line, without pixels."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from pathlib import Path

import pytest
from matplotlib import dates as mdates

from scripts.analyst.render import build_figure
from scripts.analyst.series import DAY, HOUR, Series, contract_multiplier, relative_differences, with_gaps
from scripts.chart import chart_series, main, parse_args
from tests.helpers import query
from tests.worlds import World

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def plotted(line) -> list[tuple[dt.datetime, float]]:  # type: ignore[no-untyped-def]
    """A matplotlib line's points back as (UTC time, value), the gap markers left out."""
    return [(mdates.num2date(x), float(y)) for x, y in line.get_xydata() if not math.isnan(y)]


def test_price_chart_has_one_line_per_source_and_velo_exchange_equal_to_the_mart(demo: World) -> None:
    title, ylabel, series = chart_series(
        parse_args(["--entity", "bitcoin", "--metric", "PRICE", "--compare"])
    )
    fig = build_figure(series, title=title, ylabel=ylabel, compare=True)
    price_ax, diff_ax = fig.axes
    expected: dict[str, list[tuple[dt.datetime, float]]] = {}
    for source, exchange, asset, metric, ts, value in query(
        demo.target,
        "select source, exchange, asset, source_metric_name, ts, value from analytics.v_entity_comparison "
        "where canonical_id = 'bitcoin' and metric_name = 'PRICE' order by ts",
    ):
        label = Series(source, exchange, asset, metric, DAY).label
        expected.setdefault(label, []).append((ts, float(value)))
    lines = {line.get_label(): plotted(line) for line in price_ax.get_lines()}
    assert lines == expected
    assert set(lines) == {
        "artemis (btc PRICE)",
        "velo binance-futures (BTC CLOSE_PRICE)",
        "velo bybit (BTC CLOSE_PRICE)",
        "velo hyperliquid (BTC CLOSE_PRICE)",
        "velo okex-swap (BTC CLOSE_PRICE)",
    }
    assert ylabel == "PRICE (USD per token)"
    # the comparison panel: one line per series, each its difference to the median of the day
    assert [line.get_label() for line in diff_ax.get_lines() if line.get_label() in lines] == list(lines)
    artemis = dict(expected["artemis (btc PRICE)"])
    day = max(set(artemis) & {ts for ts, _ in expected["velo bybit (BTC CLOSE_PRICE)"]})
    median = statistics.median(value for points in expected.values() for ts, value in points if ts == day)
    artemis_line = next(line for line in diff_ax.get_lines() if line.get_label() == "artemis (btc PRICE)")
    assert dict(plotted(artemis_line))[day] == pytest.approx((artemis[day] - median) / median * 100)


def test_hourly_chart_plots_velo_hours_per_token(demo: World) -> None:
    title, _, series = chart_series(
        parse_args(["--entity", "bitcoin", "--metric", "price", "--hourly", "--source", "velo"])
    )
    assert title == "Bitcoin (bitcoin): PRICE, hourly"  # the name asked for, not Velo's CLOSE_PRICE
    assert {one.source for one in series} == {"velo"} and len(series) == 4
    bybit = next(one for one in series if one.exchange == "bybit")
    assert bybit.step == HOUR
    rows = query(
        demo.target,
        "select ts, value from analytics.metrics where source = 'velo' and asset = 'BTC' "
        "and exchange = 'bybit' and metric_name = 'CLOSE_PRICE' and ts >= %s order by ts",
        (dt.datetime.combine(dt.date.today() - dt.timedelta(days=6), dt.time(), dt.timezone.utc),),
    )
    assert bybit.points == [(ts, float(value)) for ts, value in rows]
    assert len(bybit.points) > 24


def test_chart_writes_a_png_and_a_self_contained_html(demo: World, tmp_path: Path) -> None:
    png = tmp_path / "btc.png"
    result = demo.python(
        "scripts/chart.py", "--entity", "bitcoin", "--metric", "PRICE", "--compare", "-o", str(png)
    )
    assert result.returncode == 0, result.stderr
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert f"wrote {png} (5 series" in result.stdout
    page = tmp_path / "btc.html"
    assert main(["--entity", "Bitcoin", "--metric", "PRICE", "-o", str(page)]) == 0
    html = page.read_text()
    assert 'src="data:image/png;base64,' in html
    assert "http://" not in html and "https://" not in html and "<script" not in html


def test_unknown_entity_or_metric_is_one_line_with_suggestions(
    demo: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--entity", "btc", "--metric", "PRICE"]) == 2
    assert (
        capsys.readouterr().err
        == "error: unknown entity 'btc'; did you mean: bitcoin, tac, eq-btcs, eq-abtc, belt\n"
    )
    assert main(["--entity", "bitcoin", "--metric", "PRISE"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown metric 'PRISE'; did you mean: PRICE") and err.count("\n") == 1
    assert (
        main(["--entity", "bitcoin", "--metric", "PRICE", "--since", "2001-01-01", "--until", "2001-01-31"])
        == 1
    )
    assert capsys.readouterr().err == "error: no PRICE rows for bitcoin from 2001-01-01 to 2001-01-31\n"


def test_a_missing_day_breaks_the_line() -> None:
    day = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    points = [(day, 1.0), (day + DAY, 2.0), (day + 3 * DAY, 4.0)]
    xs, ys = with_gaps(points, DAY)
    assert xs == [day, day + DAY, day + 2 * DAY, day + 3 * DAY]
    assert ys[:2] == [1.0, 2.0] and math.isnan(ys[2]) and ys[3] == 4.0


def test_relative_difference_is_to_the_median_of_the_series_present() -> None:
    day = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    a = Series("artemis", "", "btc", "PRICE", DAY, [(day, 100.0), (day + DAY, 50.0)])
    b = Series("velo", "bybit", "BTC", "CLOSE_PRICE", DAY, [(day, 110.0)])
    c = Series("velo", "okex-swap", "BTC", "CLOSE_PRICE", DAY, [(day, 90.0)])
    differences = relative_differences([a, b, c])
    assert differences[a.label] == [(day, 0.0)]  # alone on day 2: nothing to compare with
    assert differences[b.label] == [(day, pytest.approx(10.0))]
    assert differences[c.label] == [(day, pytest.approx(-10.0))]


@pytest.mark.parametrize(
    ("asset", "multiplier"),
    [("BTC", 1), ("1000PEPE", 1000), ("10000SATS", 10_000), ("1000000MOG", 1_000_000), ("1INCH", 1)],
)
def test_contract_multiplier_reads_multi_token_contracts(asset: str, multiplier: int) -> None:
    assert contract_multiplier(asset) == multiplier
