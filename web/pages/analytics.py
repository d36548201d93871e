"""/store/<guild>/analytics: the funnel, conversion, revenue per day, top products, how long
verification and delivery take, and ratings, over a date range."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import reflex as rx
from babel.numbers import format_decimal, format_percent

from web import styles
from web.components.frame import frame
from web.components.widgets import Said, both, said, scroll_box
from web.i18n import say, tx
from web.seller import SellerAccess, SellerState, day_bound, page_entry, seller_action
from workflows import analytics
from workflows.errors import StoreError
from workflows.money import format_amount

STAGES = ("panel_clicks", "opened", "paid", "completed")


def duration(seconds: float | None, lang: str) -> str:
    """ "45 dtk", "12 mnt", "1,5 jam" / "45 s", "12 min", "1.5 h"."""
    if seconds is None:
        return "—"
    if seconds < 120:
        return say(lang, "analytics.seconds", n=format_decimal(round(seconds), locale=lang))
    if seconds < 7200:
        return say(lang, "analytics.minutes", n=format_decimal(round(seconds / 60), locale=lang))
    return say(lang, "analytics.hours", n=format_decimal(round(seconds / 3600, 1), locale=lang))


def percent(part: int | float, whole: int | float, lang: str) -> str:
    return format_percent(part / whole, locale=lang) if whole else "—"


@dataclass
class Stage:
    stage: str  # a key of STAGES, named by the page
    count: str
    rate: Said  # of the stage before ("" for the first)


@dataclass
class TopProduct:
    name: str
    units: str
    revenue: str


@dataclass
class Figures:
    revenue: str = "—"
    conversion: Said = field(default_factory=Said)
    verify: Said = field(default_factory=Said)
    deliver: Said = field(default_factory=Said)
    rating: Said = field(default_factory=Said)
    cancelled: str = "0"
    expired: str = "0"
    saldo_sales: Said = field(default_factory=Said)  # "3 · Rp 150.000"
    saldo_topups: str = "—"


class AnalyticsState(SellerState):
    since: str = ""
    until: str = ""
    funnel: list[Stage] = []
    revenue: list[dict[str, int | str]] = []  # the chart's data: {"day": "3/12", "revenue": 150000}
    top: list[TopProduct] = []
    figures: Figures = Figures()
    ratings: list[dict[str, int | str]] = []  # the chart's data: {"stars": "5★", "count": 3}

    async def _compute(self, checked: SellerAccess) -> None:
        since, until = day_bound(self.since), day_bound(self.until, end=True)
        if since is None or until is None:
            raise StoreError("dates: use the date picker (YYYY-MM-DD)", key="date_picker")
        if until <= since or until - since > timedelta(days=366):
            raise StoreError(self._say("analytics.bad_range"))
        report = await analytics.report(checked.guild_id, since, until)
        f, currency = report.funnel, checked.store.currency
        counts = [f.panel_clicks, f.opened, f.paid, f.completed]
        self.funnel = [
            Stage(
                stage=stage,
                count=str(count),
                rate=both(lambda lang, i=i: percent(counts[i], counts[i - 1], lang)) if i else Said(),
            )
            for i, (stage, count) in enumerate(zip(STAGES, counts, strict=True))
        ]
        self.revenue = [
            {"day": f"{int(day[8:10])}/{int(day[5:7])}", "revenue": amount}
            for day, amount in report.revenue_per_day
        ]
        self.top = [
            TopProduct(name=name, units=str(units), revenue=format_amount(revenue, currency))
            for name, units, revenue in report.top_products
        ]
        average = report.rating_average
        self.figures = Figures(
            revenue=format_amount(f.revenue, currency),
            conversion=both(lambda lang: percent(f.completed, f.opened, lang)),
            verify=both(lambda lang: duration(report.avg_verify_s, lang)),
            deliver=both(lambda lang: duration(report.avg_deliver_s, lang)),
            rating=both(
                lambda lang: (
                    f"{format_decimal(round(average, 2), locale=lang)} ★" if average is not None else "—"
                )
            ),
            cancelled=str(f.cancelled),
            expired=str(f.expired),
            saldo_sales=both(
                lambda lang: say(
                    lang,
                    "analytics.saldo_sales",
                    n=report.saldo.sales,
                    amount=format_amount(report.saldo.sales_amount, currency),
                )
            ),
            saldo_topups=format_amount(report.saldo.topup_amount, currency),
        )
        self.ratings = [{"stars": f"{i + 1}★", "count": n} for i, n in enumerate(report.rating_counts)]

    @page_entry
    async def load(self, checked: SellerAccess):
        today = datetime.now(UTC).date()
        self.since, self.until = str(today - timedelta(days=29)), str(today)
        await self._compute(checked)

    @seller_action
    async def set_range(self, checked: SellerAccess, form: dict):
        self.since, self.until = str(form.get("since") or self.since), str(form.get("until") or self.until)
        await self._compute(checked)
        self.error = ""


def _figure(key: str, value: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(tx(f"analytics.figure.{key}"), size="2", color_scheme="gray"),
            rx.heading(value, size="6", id=f"figure-{key}"),
        ),
        min_width="150px",
        flex="1 1 150px",
    )


def _stage_name(stage: rx.Var) -> rx.Var:
    return rx.match(stage, *[(s, tx(f"analytics.stage.{s}")) for s in STAGES], stage)


def _date(name: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.el.label(tx(f"analytics.{name}"), html_for=f"range-{name}", font_size="0.8em"),
        rx.input(type="date", name=name, id=f"range-{name}", default_value=value, key=value),
        spacing="1",
    )


def analytics_page() -> rx.Component:
    s = AnalyticsState
    return frame(
        "analytics",
        tx("analytics.title"),
        rx.form(
            rx.flex(
                _date("since", s.since),
                _date("until", s.until),
                rx.button(tx("analytics.show"), type="submit", id="show-range"),
                spacing="2",
                wrap="wrap",
                align="end",
            ),
            on_submit=AnalyticsState.set_range,
        ),
        rx.flex(
            _figure("revenue", s.figures.revenue),
            _figure("conversion", said(s.figures.conversion)),
            _figure("verify", said(s.figures.verify)),
            _figure("deliver", said(s.figures.deliver)),
            _figure("rating", said(s.figures.rating)),
            _figure("saldo_sales", said(s.figures.saldo_sales)),
            _figure("saldo_topups", s.figures.saldo_topups),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        rx.heading(tx("analytics.funnel"), size="4"),
        scroll_box(
            rx.table.root(
                rx.table.body(
                    rx.foreach(
                        s.funnel,
                        lambda stage: rx.table.row(
                            rx.table.cell(_stage_name(stage.stage)),
                            rx.table.cell(rx.text(stage.count, weight="bold")),
                            rx.table.cell(said(stage.rate)),
                        ),
                    )
                ),
                id="funnel",
            )
        ),
        rx.heading(tx("analytics.revenue_per_day"), size="4"),
        rx.box(
            rx.recharts.bar_chart(
                rx.recharts.bar(data_key="revenue", fill=rx.color(styles.ACCENT, 9)),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(),
                rx.recharts.graphing_tooltip(),
                data=s.revenue,
                height=260,
            ),
            width="100%",
            min_width="0",
        ),
        rx.flex(
            rx.vstack(
                rx.heading(tx("analytics.top_products"), size="4"),
                scroll_box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(tx(f"analytics.column.{c}"))
                                    for c in ("product", "units", "revenue")
                                ]
                            )
                        ),
                        rx.table.body(
                            rx.foreach(
                                s.top,
                                lambda p: rx.table.row(
                                    rx.table.cell(p.name),
                                    rx.table.cell(p.units),
                                    rx.table.cell(p.revenue, white_space="nowrap"),
                                ),
                            )
                        ),
                        id="top-products",
                    )
                ),
                rx.cond(s.top.length() == 0, rx.text(tx("analytics.no_sales"), color_scheme="gray")),
                flex="1 1 280px",
                min_width="0",
            ),
            rx.vstack(
                rx.heading(tx("analytics.ratings"), size="4"),
                rx.box(
                    rx.recharts.bar_chart(
                        rx.recharts.bar(data_key="count", fill="#f5a623"),
                        rx.recharts.x_axis(data_key="stars"),
                        rx.recharts.y_axis(allow_decimals=False),
                        data=s.ratings,
                        height=200,
                    ),
                    width="100%",
                    max_width="360px",
                ),
                flex="1 1 280px",
                min_width="0",
            ),
            spacing="4",
            wrap="wrap",
            width="100%",
        ),
    )
