"""/store/<guild>/coupons: the store's coupon codes. A seller makes one ("HEMAT10", "10%" or
"Rp 5.000", for some products or all, a minimum order, limits on uses, a validity window),
sees how many times each was used, and stops one (after confirming). Buyers type the code in
their ticket before paying (`workflows.coupons`)."""

from __future__ import annotations

import dataclasses

import reflex as rx

from models.product import Product
from web.components.frame import frame
from web.components.widgets import confirm, data_table
from web.i18n import tx, when
from web.seller import SellerAccess, SellerState, day_bound, page_entry, seller_action
from workflows import coupons, money
from workflows.coupons import CouponRefused


@dataclasses.dataclass
class CouponRow:
    """One coupon as the list shows it (amounts and dates written for the seller)."""

    id: str = ""
    code: str = ""
    discount: str = ""
    products: str = ""
    minimum: str = ""
    uses: str = ""
    per_buyer: str = ""
    valid: str = ""
    active: bool = True


@dataclasses.dataclass
class ProductChoice:
    id: str = ""
    name: str = ""


def _limit(written: str) -> int | None:
    written = (written or "").strip().replace(".", "")
    if not written:
        return None
    if not written.isdigit():
        raise CouponRefused(key="bad_limit")
    return int(written)


class CouponsState(SellerState):
    rows: list[CouponRow] = []
    product_choices: list[ProductChoice] = []
    chosen: list[str] = []  # product ids the new coupon is limited to (none: every product)
    form_key: int = 0

    async def _reload(self, guild_id: int) -> None:
        products = await Product.find(Product.guild_id == guild_id).sort("sort_order", "created_at").to_list()
        names = {str(p.id): p.name for p in products}
        self.product_choices = [ProductChoice(id=str(p.id), name=p.name) for p in products]
        currency, lang = self._currency, self.lang
        rows = []
        for c in await coupons.list_coupons(guild_id):
            limited = [names.get(str(i), "?") for i in c.product_ids]
            start, end = (
                when(c.starts_at, lang) if c.starts_at else "",
                when(c.ends_at, lang) if c.ends_at else "",
            )
            valid = self._say("coupons.always")
            if start or end:
                valid = f"{start or '…'} – {end or '…'}"
            rows.append(
                CouponRow(
                    id=str(c.id),
                    code=c.code,
                    discount=coupons.describe(c, currency),
                    products=", ".join(limited) if limited else self._say("coupons.all_products"),
                    minimum=money.format_amount(c.min_amount, currency) if c.min_amount else "—",
                    uses=f"{c.uses} / {c.max_uses if c.max_uses is not None else '∞'}",
                    per_buyer=str(c.max_uses_per_buyer) if c.max_uses_per_buyer is not None else "∞",
                    valid=valid,
                    active=c.active,
                )
            )
        self.rows = rows

    @page_entry
    async def load(self, checked: SellerAccess):
        self.chosen = []
        await self._reload(checked.guild_id)

    def toggle_product(self, product_id: str):
        if product_id in self.chosen:
            self.chosen = [p for p in self.chosen if p != product_id]
        else:
            self.chosen = [*self.chosen, product_id]

    @seller_action
    async def create(self, checked: SellerAccess, form: dict):
        minimum_written = str(form.get("min_amount") or "").strip()
        try:
            minimum = money.parse_amount(minimum_written, self._currency) if minimum_written else 0
        except ValueError:
            raise CouponRefused(
                key="bad_minimum", example=money.format_amount(10_000_000, self._currency)
            ) from None
        coupon = await coupons.create_coupon(
            checked.guild_id,
            code=str(form.get("code") or ""),
            value=str(form.get("value") or ""),
            currency=self._currency,
            product_ids=list(self.chosen),  # type: ignore[arg-type]
            min_amount=minimum,
            max_uses=_limit(str(form.get("max_uses") or "")),
            max_uses_per_buyer=_limit(str(form.get("max_uses_per_buyer") or "")),
            starts_at=day_bound(str(form.get("starts") or "")),
            ends_at=day_bound(str(form.get("ends") or ""), end=True),
            created_by=checked.session.username,
            by=checked.actor,
        )
        self.chosen = []
        self.form_key += 1
        await self._reload(checked.guild_id)
        return self._done(self._say("coupons.created", code=coupon.code))

    @seller_action
    async def deactivate(self, checked: SellerAccess, coupon_id: str):
        coupon = await coupons.deactivate(checked.guild_id, coupon_id, by=checked.actor)
        await self._reload(checked.guild_id)
        return self._done(self._say("coupons.deactivated", code=coupon.code))


def _field(label_key: str, field_id: str, **props) -> rx.Component:
    """An input with its visible label tied to it (found by its label in tests and by readers)."""
    return rx.vstack(
        rx.el.label(tx(label_key), html_for=field_id, font_size="0.875em", font_weight="500"),
        rx.input(id=field_id, width="100%", **props),
        spacing="1",
        min_width="160px",
        flex="1",
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tx("coupons.new"), size="4"),
                rx.flex(
                    _field("coupons.code", "coupon-code", name="code", placeholder="HEMAT10"),
                    _field(
                        "coupons.value", "coupon-value", name="value", placeholder=tx("coupons.value_hint")
                    ),
                    _field("coupons.min_amount", "coupon-min", name="min_amount", placeholder="100.000"),
                    spacing="3",
                    wrap="wrap",
                    width="100%",
                ),
                rx.flex(
                    _field("coupons.max_uses", "coupon-max-uses", name="max_uses", placeholder="∞"),
                    _field(
                        "coupons.max_uses_per_buyer",
                        "coupon-per-buyer",
                        name="max_uses_per_buyer",
                        placeholder="∞",
                    ),
                    _field("coupons.starts", "coupon-starts", name="starts", type="date"),
                    _field("coupons.ends", "coupon-ends", name="ends", type="date"),
                    spacing="3",
                    wrap="wrap",
                    width="100%",
                ),
                rx.text(tx("coupons.products_hint"), size="2", weight="medium"),
                rx.flex(
                    rx.foreach(
                        CouponsState.product_choices,
                        lambda p: rx.el.label(
                            rx.checkbox(
                                checked=CouponsState.chosen.contains(p.id),
                                on_change=lambda _value: CouponsState.toggle_product(p.id),
                            ),
                            rx.text(p.name, size="2"),
                            display="flex",
                            gap="0.4em",
                            align_items="center",
                            class_name="coupon-product",
                        ),
                    ),
                    spacing="3",
                    wrap="wrap",
                ),
                rx.button(tx("coupons.create"), type="submit", id="create-coupon"),
                spacing="3",
                width="100%",
            ),
            on_submit=CouponsState.create,
            reset_on_submit=False,
            key=CouponsState.form_key,
        ),
        width="100%",
    )


def _row(c: CouponRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(c.code, weight="bold")),
        rx.table.cell(c.discount),
        rx.table.cell(c.products),
        rx.table.cell(c.minimum),
        rx.table.cell(c.uses, class_name="coupon-uses"),
        rx.table.cell(c.per_buyer),
        rx.table.cell(c.valid),
        rx.table.cell(
            rx.badge(
                rx.cond(c.active, tx("coupons.active"), tx("coupons.inactive")),
                color_scheme=rx.cond(c.active, "green", "gray"),
            )
        ),
        rx.table.cell(
            rx.cond(
                c.active,
                confirm(
                    rx.button(
                        tx("coupons.deactivate"),
                        size="1",
                        color_scheme="red",
                        variant="soft",
                        class_name="deactivate-coupon",
                    ),
                    tx("coupons.deactivate_question", code=c.code),
                    tx("coupons.deactivate_detail"),
                    rx.button(
                        tx("coupons.deactivate"),
                        color_scheme="red",
                        on_click=CouponsState.deactivate(c.id),
                        id="confirm-deactivate",
                    ),
                    tx("coupons.keep"),
                ),
            )
        ),
        custom_attrs={"data-coupon": c.code},
    )


def coupons_page() -> rx.Component:
    headers = [
        "code",
        "discount",
        "products",
        "min_amount",
        "uses",
        "per_buyer",
        "valid",
        "status",
        "actions",
    ]
    return frame(
        "coupons",
        tx("coupons.title"),
        rx.text(tx("coupons.intro"), color_scheme="gray"),
        _create_form(),
        rx.cond(
            CouponsState.rows.length() > 0,
            data_table([tx(f"coupons.column.{h}") for h in headers], CouponsState.rows, _row, "coupons"),
            rx.text(tx("coupons.none"), color_scheme="gray", id="no-coupons"),
        ),
    )
