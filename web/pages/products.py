"""/store/<guild>/products: the catalogue, an image per product, and stock.

Stock items (keys, accounts…) are pasted or uploaded as .txt/.csv, one per line; once saved
they are encrypted. A product's items are listed masked (`can***@mail.com:***`) with their
status; a seller can search them, reveal one on purpose (recorded) and remove available ones.

Every form that changes something carries a token issued when it was drawn: a second submit
of the same drawing (a double click) is the same request and is ignored, so one click is one
product or one batch of stock, and the seller sees one result. A token (not a unique product
name) because two products may share a name on purpose, and a store that already has two
cannot be given a unique index without failing to start.
"""

from __future__ import annotations

import uuid

import reflex as rx

from models.product import DeliveryMode, Product
from models.settings import get_settings
from models.stock_item import StockItemStatus
from web import access, media, styles
from web.components.frame import frame
from web.components.widgets import data_table, drop_zone
from web.seller import SellerState
from workflows import products, stock
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.images import MAX_BYTES
from workflows.money import format_amount, parse_amount
from workflows.stock_cipher import StockCipher

MAX_STOCK_FILE_BYTES = 5 * 1024 * 1024


def _cipher() -> StockCipher:
    return StockCipher(get_settings().stock_encryption_key())


_LABELS = ["list_title", "search_placeholder", "search", "reveal", "remove"]


def _token() -> str:
    return uuid.uuid4().hex


class ProductsState(SellerState):
    products: list[dict[str, str]] = []
    editing: str = ""
    upload_progress: int = 0
    form_key: int = 0  # bumped after a success: the form is remounted empty
    # One token per drawing of the "New product" form and of the stock form (module docstring).
    create_token: str = ""
    stock_token: str = ""
    # The edited product's stock items, masked; the texts revealed on purpose; the ticked ones.
    items: list[dict[str, str]] = []
    revealed: dict[str, str] = {}
    selected: list[str] = []
    query: str = ""
    labels: dict[str, str] = {}
    just_removed: bool = False  # the last stock action removed the ticked items

    @rx.var
    def editing_product(self) -> dict[str, str]:
        return next((p for p in self.products if p["id"] == self.editing), {})

    async def _reload(self, guild_id: int, currency: str) -> None:
        rows = []
        for p in await Product.find(Product.guild_id == guild_id).sort("sort_order", "created_at").to_list():
            counts = await stock.counts(p.id)
            manual = p.delivery_mode is DeliveryMode.MANUAL
            rows.append(
                {
                    "id": str(p.id),
                    "name": p.name,
                    "price": format_amount(p.price, currency),
                    "price_input": str(p.price),
                    "description": p.description,
                    "mode": p.delivery_mode.value,
                    "active": "yes" if p.active else "no",
                    "available": str(p.stock if manual else counts["available"]),
                    "reserved": str(
                        sum(r.quantity for r in p.reservations) if manual else counts["reserved"]
                    ),
                    "delivered": "—" if manual else str(counts["delivered"]),
                    "manual_text": p.manual_delivery_text,
                    "image": media.public_url(media.thumbnail_ref(p.image_ref)),
                }
            )
        self.products = rows

    async def _reload_items(self, checked: access.SellerAccess, product: Product | None = None) -> None:
        """The edited product's items as the list shows them (search results when searching)."""
        locale = checked.store.locale
        self.labels = {key: text(locale, f"stock.{key}") for key in _LABELS}
        if product is None:
            product = await products.get_product(checked.guild_id, self.editing)
        if product.delivery_mode is not DeliveryMode.AUTOMATIC:
            self.items = []
            return
        rows = (
            await stock.search(product, self.query, _cipher())
            if self.query.strip()
            else await stock.list_items(product, _cipher())
        )
        self.items = [
            {
                "id": row.id,
                "preview": row.preview,
                "status": row.status.value,
                "status_text": text(
                    locale, f"stock.status.{row.status.value}", number=row.ticket_number or "?"
                ),
                "available": "yes" if row.status is StockItemStatus.AVAILABLE else "",
            }
            for row in rows
        ]
        self.selected = [item_id for item_id in self.selected if any(i["id"] == item_id for i in self.items)]

    async def load(self):
        checked = await self._enter()
        if checked is None or not isinstance(checked, access.SellerAccess):
            return checked
        await self._reload(checked.guild_id, checked.store.currency)
        self.create_token, self.stock_token = _token(), _token()
        self.labels = {key: text(checked.store.locale, f"stock.{key}") for key in _LABELS}
        return None

    async def create(self, form: dict):
        if form.get("create_token") != self.create_token:
            return None  # the same form submitted again (a double click): already handled
        try:
            checked = await self._access()
            mode = form.get("delivery_mode") or "automatic"
            product = await products.create_product(
                checked.guild_id,
                name=str(form.get("name", "")),
                price=parse_amount(str(form.get("price", "")), checked.store.currency),
                description=str(form.get("description", "")),
                delivery_mode=mode,
                stock=int(form.get("stock") or 0) if mode == "manual" else 0,
                manual_delivery_text=str(form.get("manual_delivery_text", "")),
            )
        except (access.Refused, StoreError, ValueError) as error:
            return self._failed(error)
        await self._reload(checked.guild_id, checked.store.currency)
        self.editing = str(product.id)
        self.form_key += 1
        self.create_token = _token()
        self.items, self.revealed, self.selected, self.query = [], {}, [], ""
        return self._done(text(checked.store.locale, "clicks.product_created", name=product.name))

    async def edit(self, product_id: str):
        self.editing = product_id
        self.error = self.notice = ""
        self.revealed, self.selected, self.query = {}, [], ""
        try:
            checked = await self._access()
            await self._reload_items(checked)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        return None

    async def search_items(self, form: dict):
        self.query = str(form.get("stock_query", ""))
        try:
            checked = await self._access()
            await self._reload_items(checked)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        return None

    def toggle_item(self, item_id: str, checked: bool):
        self.just_removed = False
        others = [i for i in self.selected if i != item_id]
        self.selected = [*others, item_id] if checked else others

    async def reveal(self, item_id: str):
        """One item's text, shown because the seller clicked its Reveal (recorded: who, when)."""
        try:
            checked = await self._access()
            product = await products.get_product(checked.guild_id, self.editing)
            secret = await stock.reveal(product, item_id, checked.session.user_id, _cipher())
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        self.revealed = {**self.revealed, item_id: secret}
        return self._done(text(checked.store.locale, "stock.revealed"))

    async def remove_selected(self):
        if not self.selected and self.just_removed:
            return None  # the second click of a double click: the removal is already done
        try:
            checked = await self._access()
            locale = checked.store.locale
            if not self.selected:
                raise StoreError(text(locale, "stock.none_selected"))
            product = await products.get_product(checked.guild_id, self.editing)
            removed, kept = await stock.remove_available(product, self.selected)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        self.selected, self.just_removed = [], True
        await self._reload(checked.guild_id, checked.store.currency)
        await self._reload_items(checked, product)
        message = text(locale, "stock.removed", count=removed)
        return self._done(message + (" " + text(locale, "stock.kept", count=kept) if kept else ""))

    async def save(self, form: dict):
        try:
            checked = await self._access()
            product = await products.update_product(
                checked.guild_id,
                self.editing,
                name=str(form.get("name", "")).strip(),
                price=parse_amount(str(form.get("price", "")), checked.store.currency),
                description=str(form.get("description", "")),
                manual_delivery_text=str(form.get("manual_delivery_text", "")),
            )
            if product.delivery_mode is DeliveryMode.MANUAL and form.get("stock", "") != "":
                await stock.set_manual_stock(product, int(form["stock"]))
        except (access.Refused, StoreError, ValueError) as error:
            return self._failed(error)
        await self._reload(checked.guild_id, checked.store.currency)
        return self._done(f"Saved “{product.name}”")

    async def toggle_active(self, product_id: str):
        try:
            checked = await self._access()
            product = await products.get_product(checked.guild_id, product_id)
            await products.update_product(checked.guild_id, product_id, active=not product.active)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        await self._reload(checked.guild_id, checked.store.currency)
        return self._done(f"“{product.name}” is now {'hidden' if product.active else 'on sale'}")

    async def delete(self, product_id: str):
        try:
            checked = await self._access()
            product = await products.get_product(checked.guild_id, product_id)
            await products.delete_product(checked.guild_id, product_id)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        self.editing = ""
        await self._reload(checked.guild_id, checked.store.currency)
        return self._done(f"Deleted “{product.name}”")

    async def upload_image(self, files: list[rx.UploadFile]):
        try:
            checked = await self._access()
            if not files:
                raise StoreError("choose an image first")
            data = await files[0].read(MAX_BYTES + 1)
            ref = await media.keep_image(checked.guild_id, data)
            await products.update_product(checked.guild_id, self.editing, image_ref=ref)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        await self._reload(checked.guild_id, checked.store.currency)
        return self._done("Image saved (metadata removed, thumbnail made)")

    async def add_stock_lines(self, form: dict):
        if form.get("stock_token") != self.stock_token:
            return None  # the same paste submitted again (a double click): already added
        return await self._add_stock(str(form.get("items", "")).splitlines())

    async def upload_stock(self, files: list[rx.UploadFile]):
        lines: list[str] = []
        for file in files:
            name = (file.name or "").lower()
            if not name.endswith((".txt", ".csv")):
                return self._failed(StoreError(f"{file.name}: upload a .txt or .csv file, one item per line"))
            data = await file.read(MAX_STOCK_FILE_BYTES + 1)
            if len(data) > MAX_STOCK_FILE_BYTES:
                return self._failed(StoreError(f"{file.name}: larger than 5 MB; split it"))
            try:
                lines += data.decode("utf-8-sig").splitlines()
            except UnicodeDecodeError:
                return self._failed(StoreError(f"{file.name}: not a UTF-8 text file"))
        self.upload_progress = 0
        # The chosen files stay in the browser's upload state: cleared, a second click has
        # nothing to upload again.
        return [await self._add_stock(lines), rx.clear_selected_files("stock_file")]

    def stock_upload_progress(self, progress: dict):
        self.upload_progress = round(progress.get("progress", 0) * 100)

    async def _add_stock(self, lines: list[str]):
        try:
            checked = await self._access()
            locale = checked.store.locale
            product = await products.get_product(checked.guild_id, self.editing)
            result = await stock.add_items(product, lines, _cipher())
            if not result.added and not result.duplicates:
                raise StoreError(text(locale, "stock.nothing"))
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        await self._reload(checked.guild_id, checked.store.currency)
        await self._reload_items(checked, product)
        self.form_key += 1
        self.stock_token = _token()
        message = text(locale, "stock.added", added=result.added, product=product.name)
        if result.duplicates:
            message += " " + text(locale, "stock.duplicates", count=result.duplicates)
        return self._done(message)


def _row(p: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                p["image"] != "", rx.image(src=p["image"], width="40px", height="40px", border_radius="6px")
            )
        ),
        rx.table.cell(rx.text(p["name"], weight="bold")),
        rx.table.cell(p["price"]),
        rx.table.cell(p["mode"]),
        rx.table.cell(
            rx.text(p["available"], " / ", p["reserved"], " / ", p["delivered"]), class_name="stock-counts"
        ),
        rx.table.cell(
            rx.badge(
                rx.cond(p["active"] == "yes", "on sale", "hidden"),
                color_scheme=rx.cond(p["active"] == "yes", "green", "gray"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button("Edit", size="1", on_click=ProductsState.edit(p["id"]), class_name="edit-product"),
                rx.button(
                    rx.cond(p["active"] == "yes", "Hide", "Sell"),
                    size="1",
                    variant="soft",
                    on_click=ProductsState.toggle_active(p["id"]),
                ),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(
                        rx.button("Delete", size="1", color_scheme="red", variant="soft")
                    ),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title("Delete " + p["name"] + "?"),
                        rx.alert_dialog.description("Unsold stock items are deleted too."),
                        rx.hstack(
                            rx.alert_dialog.cancel(rx.button("Keep", variant="soft")),
                            rx.alert_dialog.action(
                                rx.button(
                                    "Delete", color_scheme="red", on_click=ProductsState.delete(p["id"])
                                )
                            ),
                        ),
                    ),
                ),
            )
        ),
        custom_attrs={"data-product": p["name"]},
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("New product", size="4"),
                rx.flex(
                    rx.input(
                        name="name",
                        placeholder="Name (e.g. Netflix Premium 1 bulan)",
                        id="new-name",
                        flex="2",
                        min_width="220px",
                    ),
                    rx.input(
                        name="price",
                        placeholder="Price (e.g. 50.000)",
                        id="new-price",
                        flex="1",
                        min_width="140px",
                    ),
                    rx.select(
                        ["automatic", "manual"],
                        name="delivery_mode",
                        default_value="automatic",
                        id="new-mode",
                    ),
                    rx.input(
                        name="stock", placeholder="Stock (manual)", type="number", min="0", width="130px"
                    ),
                    wrap="wrap",
                    spacing="2",
                    width="100%",
                ),
                rx.text_area(
                    name="description",
                    placeholder="Short description shown on the panel",
                    id="new-description",
                    width="100%",
                ),
                rx.text_area(
                    name="manual_delivery_text",
                    placeholder="Manual products: what the buyer receives",
                    width="100%",
                ),
                rx.el.input(
                    type="hidden", name="create_token", id="create_token", value=ProductsState.create_token
                ),
                rx.button("Create product", type="submit", id="create-product"),
                width="100%",
            ),
            on_submit=ProductsState.create,
            key=ProductsState.form_key,
        ),
        style=styles.card,
    )


def _item_row(item: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                item["available"] == "yes",
                rx.checkbox(
                    checked=ProductsState.selected.contains(item["id"]),
                    on_change=ProductsState.toggle_item(item["id"]),
                    aria_label=item["preview"],
                ),
            )
        ),
        rx.table.cell(
            rx.code(
                rx.cond(
                    ProductsState.revealed.contains(item["id"]),
                    ProductsState.revealed[item["id"]],
                    item["preview"],
                )
            ),
            class_name="stock-item-text",
        ),
        rx.table.cell(item["status_text"], class_name="stock-item-status"),
        rx.table.cell(
            rx.button(
                ProductsState.labels["reveal"],
                size="1",
                variant="soft",
                on_click=ProductsState.reveal(item["id"]),
                class_name="reveal-item",
            )
        ),
        custom_attrs={"data-status": item["status"]},
        class_name="stock-item",
    )


def _stock_list() -> rx.Component:
    """The product's items, masked; search, reveal one, remove the ticked available ones."""
    return rx.vstack(
        rx.divider(),
        rx.text(ProductsState.labels["list_title"], weight="bold"),
        rx.form(
            rx.hstack(
                rx.input(
                    name="stock_query",
                    id="stock_query",
                    placeholder=ProductsState.labels["search_placeholder"],
                    default_value=ProductsState.query,
                    flex="1",
                ),
                rx.button(ProductsState.labels["search"], type="submit", id="search-stock"),
                width="100%",
            ),
            on_submit=ProductsState.search_items,
            width="100%",
        ),
        rx.box(
            rx.table.root(
                rx.table.body(rx.foreach(ProductsState.items, _item_row)), id="stock-items", width="100%"
            ),
            overflow_x="auto",
            max_height="360px",
            overflow_y="auto",
            width="100%",
        ),
        rx.button(
            ProductsState.labels["remove"],
            color_scheme="red",
            variant="soft",
            on_click=ProductsState.remove_selected,
            id="remove-stock",
        ),
        width="100%",
    )


def _editor() -> rx.Component:
    p = ProductsState.editing_product
    return rx.cond(
        ProductsState.editing != "",
        rx.card(
            rx.vstack(
                rx.heading("Edit ", p["name"], size="4"),
                rx.form(
                    rx.vstack(
                        rx.flex(
                            rx.input(
                                name="name",
                                default_value=p["name"],
                                key=ProductsState.editing + "n",
                                flex="2",
                            ),
                            rx.input(
                                name="price",
                                default_value=p["price_input"],
                                key=ProductsState.editing + "p",
                                flex="1",
                            ),
                            rx.cond(
                                p["mode"] == "manual",
                                rx.input(
                                    name="stock",
                                    default_value=p["available"],
                                    type="number",
                                    key=ProductsState.editing + "s",
                                    width="130px",
                                ),
                            ),
                            spacing="2",
                            width="100%",
                            wrap="wrap",
                        ),
                        rx.text_area(
                            name="description",
                            default_value=p["description"],
                            key=ProductsState.editing + "d",
                            width="100%",
                        ),
                        rx.text_area(
                            name="manual_delivery_text",
                            default_value=p["manual_text"],
                            key=ProductsState.editing + "m",
                            width="100%",
                        ),
                        rx.button("Save", type="submit", id="save-product"),
                        width="100%",
                    ),
                    on_submit=ProductsState.save,
                ),
                rx.divider(),
                rx.text("Image (PNG, JPEG, WebP or GIF, at most 5 MB)", weight="bold"),
                drop_zone("product_image", "Drop an image here or click to choose"),
                rx.button(
                    "Upload image",
                    on_click=ProductsState.upload_image(rx.upload_files(upload_id="product_image")),
                    id="upload-image",
                ),
                rx.cond(
                    p["mode"] == "automatic",
                    rx.vstack(
                        rx.divider(),
                        rx.text(
                            "Stock items: available / reserved / delivered = ",
                            p["available"],
                            " / ",
                            p["reserved"],
                            " / ",
                            p["delivered"],
                            id="stock-summary",
                        ),
                        rx.form(
                            rx.vstack(
                                rx.text_area(
                                    name="items",
                                    placeholder="One item per line (email:password, key…)",
                                    id="stock-lines",
                                    width="100%",
                                    rows="5",
                                ),
                                rx.el.input(
                                    type="hidden",
                                    name="stock_token",
                                    id="stock_token",
                                    value=ProductsState.stock_token,
                                ),
                                rx.button("Add stock items", type="submit", id="add-stock"),
                                width="100%",
                            ),
                            on_submit=ProductsState.add_stock_lines,
                            key=ProductsState.form_key,
                            width="100%",
                        ),
                        drop_zone("stock_file", "…or drop .txt / .csv files", single=False),
                        rx.button(
                            "Upload stock file",
                            on_click=ProductsState.upload_stock(
                                rx.upload_files(
                                    upload_id="stock_file",
                                    on_upload_progress=ProductsState.stock_upload_progress,
                                )
                            ),
                        ),
                        rx.progress(value=ProductsState.upload_progress, max=100, width="100%"),
                        _stock_list(),
                        width="100%",
                    ),
                ),
                width="100%",
            ),
            style=styles.card,
            id="product-editor",
        ),
    )


def products_page() -> rx.Component:
    return frame(
        "products",
        "Products",
        _create_form(),
        _editor(),
        data_table(
            ["", "Name", "Price", "Delivery", "Stock (avail / held / sold)", "", ""],
            ProductsState.products,
            _row,
            "products",
        ),
    )
