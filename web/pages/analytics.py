"""/store/<guild>/analytics: the funnel, conversion, revenue per day, top products, how long
verification and delivery take, and ratings, over a date range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import reflex as rx

from web import access, styles
from web.components.frame import frame
from web.seller import SellerState, day_bound
from workflows import analytics
from workflows.errors import StoreError
from workflows.money import format_amount


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class AnalyticsState(SellerState):
    since: str = ""
    until: str = ""
    funnel: list[dict[str, str]] = []
    revenue: list[dict[str, int | str]] = []
    top: list[dict[str, str]] = []
    figures: dict[str, str] = {}
    ratings: list[dict[str, int | str]] = []

    async def _compute(self, checked: access.SellerAccess) -> None:
        since, until = day_bound(self.since), day_bound(self.until, end=True)
        if since is None or until is None:
            raise StoreError("dates: use the date picker (YYYY-MM-DD)")
        if until <= since or until - since > timedelta(days=366):
            raise StoreError("dates: choose a range of one day to one year")
        report = await analytics.report(checked.guild_id, since, until)
        f, currency = report.funnel, checked.store.currency

        def rate(part: int, whole: int) -> str:
            return f"{100 * part / whole:.0f}%" if whole else "—"

        self.funnel = [
            {"stage": "Panel clicks", "count": str(f.panel_clicks), "rate": ""},
            {"stage": "Tickets opened", "count": str(f.opened), "rate": rate(f.opened, f.panel_clicks)},
            {"stage": "Paid", "count": str(f.paid), "rate": rate(f.paid, f.opened)},
            {"stage": "Completed", "count": str(f.completed), "rate": rate(f.completed, f.paid)},
        ]
        self.revenue = [{"day": day[5:], "revenue": amount} for day, amount in report.revenue_per_day]
        self.top = [
            {"name": name, "units": str(units), "revenue": format_amount(revenue, currency)}
            for name, units, revenue in report.top_products
        ]
        self.figures = {
            "revenue": format_amount(f.revenue, currency),
            "conversion": f"{100 * f.conversion:.0f}%",
            "verify": _duration(report.avg_verify_s),
            "deliver": _duration(report.avg_deliver_s),
            "rating": f"{report.rating_average:.2f} ★" if report.rating_average is not None else "—",
            "cancelled": str(f.cancelled),
            "expired": str(f.expired),
        }
        self.ratings = [{"stars": f"{i + 1}★", "count": n} for i, n in enumerate(report.rating_counts)]

    async def load(self):
        checked = await self._enter()
        if not isinstance(checked, access.SellerAccess):
            return checked
        today = datetime.now(UTC).date()
        self.since, self.until = str(today - timedelta(days=29)), str(today)
        await self._compute(checked)
        return None

    async def set_range(self, form: dict):
        self.since, self.until = str(form.get("since") or self.since), str(form.get("until") or self.until)
        try:
            await self._compute(await self._access())
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        self.error = ""
        return None


def _figure(label: str, key: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"), rx.heading(AnalyticsState.figures[key], size="6")
        ),
        min_width="150px",
    )


def analytics_page() -> rx.Component:
    return frame(
        "analytics",
        "Analytics",
        rx.form(
            rx.hstack(
                rx.input(
                    type="date", name="since", default_value=AnalyticsState.since, key=AnalyticsState.since
                ),
                rx.text("to"),
                rx.input(
                    type="date", name="until", default_value=AnalyticsState.until, key=AnalyticsState.until
                ),
                rx.button("Show", type="submit"),
            ),
            on_submit=AnalyticsState.set_range,
        ),
        rx.flex(
            _figure("Revenue", "revenue"),
            _figure("Conversion (opened → completed)", "conversion"),
            _figure("Avg. time to verification", "verify"),
            _figure("Avg. time to delivery", "deliver"),
            _figure("Rating", "rating"),
            spacing="3",
            wrap="wrap",
        ),
        rx.heading("Funnel", size="4"),
        rx.table.root(
            rx.table.body(
                rx.foreach(
                    AnalyticsState.funnel,
                    lambda s: rx.table.row(
                        rx.table.cell(s["stage"]),
                        rx.table.cell(rx.text(s["count"], weight="bold")),
                        rx.table.cell(s["rate"]),
                    ),
                )
            ),
            id="funnel",
        ),
        rx.heading("Revenue per day", size="4"),
        rx.box(
            rx.recharts.bar_chart(
                rx.recharts.bar(data_key="revenue", fill=rx.color(styles.ACCENT, 9)),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(),
                rx.recharts.graphing_tooltip(),
                data=AnalyticsState.revenue,
                height=260,
            ),
            width="100%",
        ),
        rx.flex(
            rx.vstack(
                rx.heading("Top products", size="4"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Product"),
                            rx.table.column_header_cell("Units"),
                            rx.table.column_header_cell("Revenue"),
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            AnalyticsState.top,
                            lambda p: rx.table.row(
                                rx.table.cell(p["name"]),
                                rx.table.cell(p["units"]),
                                rx.table.cell(p["revenue"]),
                            ),
                        )
                    ),
                ),
                flex="1",
                min_width="300px",
            ),
            rx.vstack(
                rx.heading("Ratings", size="4"),
                rx.recharts.bar_chart(
                    rx.recharts.bar(data_key="count", fill="#f5a623"),
                    rx.recharts.x_axis(data_key="stars"),
                    rx.recharts.y_axis(allow_decimals=False),
                    data=AnalyticsState.ratings,
                    height=200,
                    width=320,
                ),
                flex="1",
                min_width="300px",
            ),
            spacing="4",
            wrap="wrap",
            width="100%",
        ),
    )
