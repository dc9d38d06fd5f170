"""The statistics dashboard shows exactly what ``/estadisticas`` answers for its range."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_kit import DemoService

PHONE = {"width": 360, "height": 740}
COUNTS = (
    "inbound_messages",
    "outbound_messages",
    "bot_messages",
    "agent_messages",
    "conversations",
    "customers",
    "linked_conversations",
    "unlinked_conversations",
    "bot_replies",
    "handoffs",
    "opt_outs",
)
# every attribute of every element, where a broken computation would leave its mark
BROKEN_ATTRIBUTES = """() => [...document.querySelectorAll('#dashboard *')].flatMap((el) =>
  [...el.attributes]
    .filter((a) => /NaN|undefined|Infinity|null/.test(a.value))
    .map((a) => `${el.tagName} ${a.name}="${a.value}"`))"""


def open_dashboard(page: Any, demo: DemoService, query: str = "") -> dict[str, Any]:
    """Load the dashboard; the statistics it received, with the query it asked them with."""
    with page.expect_response(lambda r: "/estadisticas" in r.url) as answer:
        page.goto(f"{demo.inbox_url}dashboard.html{query}")
    return loaded(page, answer.value)


def after(page: Any, action: Callable[[], None], *asked_for: str) -> dict[str, Any]:
    """Run ``action``; the statistics the dashboard then fetched (with these parameters)."""

    def wanted(response: Any) -> bool:
        query = parse_qs(urlsplit(response.url).query)
        return "/estadisticas" in response.url and all(name in query for name in asked_for)

    with page.expect_response(wanted) as answer:
        action()
    return loaded(page, answer.value)


def loaded(page: Any, response: Any) -> dict[str, Any]:
    assert response.status == 200
    page.locator("#dashboard[aria-busy='false']").wait_for()
    stats: dict[str, Any] = response.json()
    query = parse_qs(urlsplit(response.url).query)
    stats["_query"] = {key: values[0] for key, values in query.items()}
    return stats


def number(page: Any, value: float) -> str:
    return str(page.evaluate("(n) => new Intl.NumberFormat('es-ES').format(n)", value))


def percent(page: Any, value: float) -> str:
    return str(
        page.evaluate(
            "(n) => new Intl.NumberFormat('es-ES', "
            "{style: 'percent', maximumFractionDigits: 1}).format(n)",
            value,
        )
    )


def card(page: Any, field: str) -> Any:
    return page.locator(f"[data-stat='{field}']")


def assert_cards_show(page: Any, stats: dict[str, Any]) -> None:
    for field in COUNTS:
        element = card(page, field)
        assert element.get_attribute("data-value") == str(stats[field]), field
        assert number(page, stats[field]) in element.inner_text(), field
    for field in ("delivery_rate", "read_rate"):
        rate = stats[field]
        text = card(page, field).inner_text()
        if rate is None:
            assert "sin datos" in text
        else:
            assert float(card(page, field).get_attribute("data-value")) == pytest.approx(rate)
            assert percent(page, rate) in text
    for field in ("first_response_bot", "first_response_agent"):
        median = stats[field]["median_seconds"]
        value = card(page, field).get_attribute("data-value")
        assert (value == "") if median is None else float(value) == pytest.approx(median)
        assert number(page, stats[field]["count"]) in card(page, field).inner_text()


def chart_days(page: Any) -> list[dict[str, Any]]:
    return list(
        page.eval_on_selector_all(
            "[data-day]",
            """(groups) => groups.map((g) => ({day: g.dataset.day,
                inbound: Number(g.dataset.inbound), outbound: Number(g.dataset.outbound)}))""",
        )
    )


def chart_labels(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            "svg[role='img']", "(charts) => charts.map((c) => c.getAttribute('aria-label'))"
        )
    )


def heatmap(page: Any) -> list[list[int]]:
    cells = page.eval_on_selector_all(
        "[data-weekday][data-hour]",
        """(cells) => cells.map((c) => [Number(c.dataset.weekday), Number(c.dataset.hour),
            Number(c.dataset.count)])""",
    )
    grid = [[0] * 24 for _ in range(7)]
    for weekday, hour, count in cells:
        grid[weekday][hour] += count
    assert len(cells) == 7 * 24
    return grid


def test_the_cards_show_the_api_figures_for_the_range_and_timezone(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    stats = open_dashboard(page, demo, "?range=all&timezone=America/Mexico_City")
    assert stats["_query"] == {"timezone": "America/Mexico_City"}
    assert stats["inbound_messages"] > 0
    assert_cards_show(page, stats)
    # the same range asked directly gives the same counts (rates move as statuses arrive)
    direct = demo.api("/estadisticas", timezone="America/Mexico_City")
    for field in COUNTS:
        assert direct[field] == stats[field], field
    assert page.get_by_text("America/Mexico_City").is_visible()


def test_the_day_chart_and_the_heatmap_hold_the_api_series(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    stats = open_dashboard(page, demo, "?range=all")
    drawn = chart_days(page)
    assert [d for d in drawn if d["inbound"] or d["outbound"]] == stats["messages_per_day"]
    days = [d["day"] for d in drawn]
    assert days == sorted(days)
    assert len(days) == len(set(days))
    assert days[0] == stats["messages_per_day"][0]["day"]
    assert days[-1] == stats["messages_per_day"][-1]["day"]
    assert heatmap(page) == stats["heatmap"]
    assert sum(map(sum, stats["heatmap"])) == stats["inbound_messages"]
    chart = page.locator("svg[role='img']").first
    assert "Mensajes por día" in (chart.get_attribute("aria-label") or "")
    for code, count in stats["failed_sends"].items():
        bar = page.locator(f"[data-code='{code}']")
        assert bar.get_attribute("data-count") == str(count)


def test_choosing_a_range_asks_again_keeps_it_in_the_url_and_survives_a_reload(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    everything = open_dashboard(page, demo, "?range=all")
    busiest = max(everything["messages_per_day"], key=lambda d: d["inbound"])
    day = busiest["day"]

    def pick_one_day() -> None:
        page.get_by_label("Desde", exact=True).fill(day)
        page.get_by_label("Hasta", exact=True).fill(day)

    one_day = after(page, pick_one_day, "since", "until")
    assert one_day["_query"]["since"] == day
    assert one_day["_query"]["until"] == day
    assert one_day["inbound_messages"] == busiest["inbound"] < everything["inbound_messages"]
    assert_cards_show(page, one_day)
    assert chart_days(page) == [busiest]
    assert page.evaluate(BROKEN_ATTRIBUTES) == []
    assert parse_qs(urlsplit(page.url).query) == {"since": [day], "until": [day]}

    reloaded = after(page, page.reload)
    assert reloaded["_query"]["since"] == day
    assert page.get_by_label("Desde", exact=True).input_value() == day
    assert page.get_by_label("Hasta", exact=True).input_value() == day

    # by keyboard: the quick ranges are buttons that say which one is on
    seven = page.get_by_role("button", name="7 días")
    seven.focus()
    last_week = after(page, lambda: page.keyboard.press("Enter"))
    assert seven.get_attribute("aria-pressed") == "true"
    assert set(last_week["_query"]) == {"since", "until", "timezone"}
    assert page.get_by_label("Hasta", exact=True).input_value() == last_week["_query"]["until"]

    all_time = after(page, page.get_by_role("button", name="Todo").click)
    assert "since" not in all_time["_query"]
    assert "until" not in all_time["_query"]
    assert all_time["inbound_messages"] == everything["inbound_messages"]
    assert "range=all" in page.url
    # the browser's back button returns to the previous range
    back = after(page, page.go_back)
    assert back["_query"]["since"] == last_week["_query"]["since"]


def test_a_range_that_ends_before_it_starts_is_refused_without_asking(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    open_dashboard(page, demo, "?since=2026-01-10&until=2026-01-20")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/estadisticas" in r.url else None)
    page.get_by_label("Desde", exact=True).fill("2026-01-25")
    alert = page.locator("#range-problem")
    alert.filter(has_text="Hasta").wait_for()
    page.wait_for_timeout(500)
    assert asked == []
    assert page.get_by_label("Desde", exact=True).get_attribute("aria-invalid") == "true"


def test_the_english_switch_translates_the_page_and_the_charts(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    stats = open_dashboard(page, demo, "?range=all")
    assert page.locator("h1").inner_text() == "Estadísticas"
    page.locator("header .lang-switch").select_option("en")
    page.locator("h1", has_text="Statistics").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title().startswith("Statistics")
    assert "Messages received" in card(page, "inbound_messages").inner_text()
    assert page.get_by_label("From", exact=True).is_visible()
    assert page.get_by_label("To", exact=True).is_visible()
    assert page.get_by_role("button", name="All time").is_visible()
    assert page.get_by_role("heading", name="Messages per day").is_visible()
    labels = chart_labels(page)
    assert len(labels) == 5
    assert all(labels)
    assert not any(re.search(r"\b(mensajes|enviados|recibidos)\b", x, re.I) for x in labels)
    # the figures stay those of the API
    assert card(page, "inbound_messages").get_attribute("data-value") == str(
        stats["inbound_messages"]
    )


def test_without_a_token_the_dashboard_sends_to_sign_in(page: Any, demo: DemoService) -> None:
    page.goto(f"{demo.inbox_url}dashboard.html")
    page.wait_for_url(re.compile(r"/inbox/index\.html\?next=dashboard\.html$"))


def test_a_refused_token_is_forgotten_and_sends_to_sign_in(
    context: Any, page: Any, demo: DemoService
) -> None:
    context.add_init_script(
        "if (location.pathname.endsWith('dashboard.html'))"
        " sessionStorage.setItem('crm_whatsapp.token', 'not-a-valid-token')"
    )
    page.goto(f"{demo.inbox_url}dashboard.html")
    page.wait_for_url(re.compile(r"/inbox/index\.html\?next=dashboard\.html$"))
    assert page.evaluate("sessionStorage.getItem('crm_whatsapp.token')") is None


def test_an_api_error_is_shown_as_text(signed_in_page: Any, demo: DemoService) -> None:
    page = signed_in_page
    message = "timezone: unknown timezone 'Mars/Olympus'"
    with page.expect_response(lambda r: "/estadisticas" in r.url) as answer:
        page.goto(f"{demo.inbox_url}dashboard.html?range=all&timezone=Mars/Olympus")
    assert answer.value.status == 400
    error = page.get_by_role("alert").filter(has_text="No se pudieron cargar")
    error.wait_for()
    assert message in error.inner_text()
    assert page.locator("[data-stat]").count() == 0
    page.get_by_role("button", name="Reintentar").wait_for()


def test_at_phone_width_nothing_scrolls_sideways_and_charts_fit(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    page.set_viewport_size(PHONE)
    open_dashboard(page, demo, "?range=all")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    widths = page.eval_on_selector_all(
        "svg.chart", "(charts) => charts.map((c) => c.getBoundingClientRect().right)"
    )
    assert len(widths) == 5
    assert max(widths) <= PHONE["width"]
    first, second = (card(page, f).bounding_box() for f in ("inbound_messages", "conversations"))
    assert first is not None
    assert second is not None
    assert second["y"] > first["y"]  # the cards wrap onto further rows


def test_a_period_without_messages_draws_empty_charts_without_nan(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    stats = open_dashboard(page, demo, "?since=2001-02-03&until=2001-02-03")
    assert stats["inbound_messages"] == 0
    assert stats["messages_per_day"] == []
    assert_cards_show(page, stats)
    assert page.evaluate(BROKEN_ATTRIBUTES) == []
    assert "NaN" not in page.locator("body").inner_text()
    assert chart_days(page) == [{"day": "2001-02-03", "inbound": 0, "outbound": 0}]
    assert heatmap(page) == [[0] * 24 for _ in range(7)]
    assert page.locator("[data-code]").count() == 0
    assert page.get_by_text("Sin fallos", exact=True).is_visible()
    assert card(page, "delivery_rate").inner_text().endswith("sin datos")
    labels = chart_labels(page)
    assert all(label and "NaN" not in label for label in labels), json.dumps(labels)


CHART_EDGE_CASES = """async () => {
  const charts = await import('./views/charts.js');
  const format = { number: String, dayShort: String, duration: (s) => `${s} s` };
  const text = new Proxy({}, { get: (_, name) => (name === 'weekdays' ? Array(7).fill('d')
    : ['dayTitle', 'cellTitle', 'entry', 'describe'].includes(name) ? () => 't' : 'x') });
  const drawn = [];
  for (const width of [1, 280, 1200]) {
    for (const days of [[], [{ day: '2026-01-05', inbound: 0, outbound: 0 }],
                        [{ day: '2026-01-05', inbound: 3, outbound: 1 }]]) {
      drawn.push(charts.dayChart(days, { width, text, format }));
    }
    for (const grid of [[], [[5]], Array(7).fill(Array(24).fill(0))]) {
      drawn.push(charts.heatmapChart(grid, { width, text, format }));
    }
    for (const [bot, agent] of [[0, 0], [4, 0], [3, 1]]) {
      const series = [{ key: 'bot', name: 'b', count: bot },
                      { key: 'agent', name: 'a', count: agent }];
      drawn.push(charts.shareChart(series, { width, text }));
    }
    for (const failures of [{}, { 131047: 0 }, { 131047: 2, unknown: 1 }]) {
      drawn.push(charts.failuresChart(failures, { width, text, format }));
    }
    for (const [median, p90] of [[null, null], [0, 0], [0.2, 7200]]) {
      const responder = { key: 'bot', name: 'Bot', median, p90, count: 1 };
      drawn.push(charts.responseChart([responder], { width, text, format }));
    }
  }
  const filled = charts.fillDays([{ day: '2026-01-03', inbound: 1, outbound: 2 }], '2026-01-01',
                                 '2026-01-04');
  return {
    broken: drawn.flatMap((svg) => [svg, ...svg.querySelectorAll('*')]).flatMap((el) =>
      [...el.attributes].filter((a) => /NaN|undefined|Infinity/.test(a.value))
        .map((a) => `${el.tagName} ${a.name}="${a.value}"`)),
    named: drawn.every((svg) => svg.getAttribute('role') === 'img'
      && svg.getAttribute('aria-label') && svg.querySelector('title') && svg.querySelector('desc')),
    filled: filled.map((d) => `${d.day}:${d.inbound}:${d.outbound}`),
    count: drawn.length,
  };
}"""


def test_every_chart_draws_zero_one_day_and_odd_sizes_without_nan(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    open_dashboard(page, demo, "?range=all")
    result = page.evaluate(CHART_EDGE_CASES)
    assert result["count"] == 3 * 15
    assert result["broken"] == []
    assert result["named"] is True
    assert result["filled"] == [
        "2026-01-01:0:0",
        "2026-01-02:0:0",
        "2026-01-03:1:2",
        "2026-01-04:0:0",
    ]
