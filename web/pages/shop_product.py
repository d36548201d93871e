"""/shop/<guild>/products/<product>: a product's public page, for anyone (no login).

The panel's "Lihat 3D" / "View in 3D" button opens it (workflows.products.public_page_url):
the product's name, price, stock and description, and its 3D model in the viewer. Only a
product on sale in that store is shown; anything else (an unknown or hidden product, another
store's product id, an address that is not one) gets the same polite "not found", so the page
tells a visitor nothing about what the store keeps hidden. The store's language decides the
words until the visitor picks one with the ID/EN switch.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from web import media, styles
from web.components.viewer3d import viewer3d
from web.i18n import LanguageState, language_switch, tx
from workflows import products, stock
from workflows.errors import StoreError
from workflows.money import format_amount

MAX_GUILD_ID = 2**63 - 1  # Discord snowflakes are 64-bit; MongoDB keeps them as signed int64


@dataclass
class PublicProduct:
    """A product as a visitor sees it: amounts already written ("Rp 75.000")."""

    name: str = ""
    store: str = ""
    price: str = ""
    stock: int = 0
    description: str = ""
    model: str = ""  # the 3D model's URL ('' for none)
    image: str = ""


class ShopProductState(LanguageState):
    shown: str = "loading"  # "product", or "missing" for anything not on sale here
    item: PublicProduct = PublicProduct()

    def _path(self) -> tuple[str, str]:
        """(guild, product) from `/shop/<guild>/products/<product>`."""
        parts = self.router.url.path.strip("/").split("/")
        return (parts[1], parts[3]) if len(parts) == 4 else ("", "")

    async def load(self):
        guild, product_id = self._path()
        self.item, self.shown = PublicProduct(), "missing"
        if not guild.isdigit() or not 0 < int(guild) <= MAX_GUILD_ID:
            self._settle_language()
            return
        try:
            store = await products.get_store(int(guild))
            product = await products.get_product(int(guild), product_id)
        except StoreError:  # no such store, no such product, or another store's product
            self._settle_language()
            return
        self._settle_language(store.locale)
        if not product.active:
            return
        self.item = PublicProduct(
            name=product.name,
            store=store.name,
            price=format_amount(product.price, store.currency),
            stock=await stock.available(product),
            description=product.description,
            model=media.public_url(product.model_ref),
            image=media.public_url(product.image_ref),
        )
        self.shown = "product"

    @rx.var
    def title(self) -> str:
        """The browser tab: the product and its store once shown."""
        return f"{self.item.name} · {self.item.store}" if self.shown == "product" else "Discord Store"


def _product() -> rx.Component:
    item = ShopProductState.item
    return rx.vstack(
        rx.text(item.store, size="2", color_scheme="gray", id="shop-store"),
        rx.heading(item.name, size="7", id="shop-name"),
        rx.hstack(
            rx.text(item.price, size="6", weight="bold", id="shop-price", aria_label=tx("viewer.shop.price")),
            rx.badge(
                rx.cond(
                    item.stock > 0, tx("viewer.shop.stock", count=item.stock), tx("viewer.shop.sold_out")
                ),
                color_scheme=rx.cond(item.stock > 0, "green", "gray"),
                size="2",
                id="shop-stock",
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            item.model != "",
            rx.box(
                viewer3d(item.model, item.name, element_id="shop-viewer", height="min(70vh, 520px)"),
                width="100%",
                border="1px solid var(--gray-5)",
                border_radius="10px",
                overflow="hidden",
                background="var(--gray-2)",
            ),
            rx.vstack(
                rx.cond(item.image != "", rx.image(src=item.image, max_width="100%", border_radius="10px")),
                rx.text(tx("viewer.shop.no_model"), color_scheme="gray", id="shop-no-model"),
            ),
        ),
        rx.cond(
            item.description != "",
            rx.text(item.description, white_space="pre-wrap", id="shop-description"),
        ),
        rx.text(tx("viewer.shop.buy_hint"), size="2", color_scheme="gray"),
        spacing="4",
        width="100%",
        id="shop-product",
    )


def _missing() -> rx.Component:
    return rx.vstack(
        rx.heading(tx("viewer.shop.not_found_title"), size="6"),
        rx.text(tx("viewer.shop.not_found_body")),
        spacing="3",
        id="not-found",
    )


def shop_product_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.hstack(rx.spacer(), language_switch(), width="100%"),
            rx.match(
                ShopProductState.shown,
                ("product", _product()),
                ("missing", _missing()),
                rx.fragment(
                    rx.text(tx("viewer.shop.loading"), color_scheme="gray"),
                    # The viewer's code is fetched while the product is looked up, not after:
                    # the page is opened to see the model (the panel's "Lihat 3D").
                    rx.box(viewer3d("", ""), display="none"),
                ),
            ),
            style={**styles.page, "max_width": "860px"},
            spacing="4",
        ),
        width="100%",
    )
