"""/store/<guild>/products: the catalogue, an image per product, and stock.

Stock items (keys, accounts…) are pasted or uploaded as .txt/.csv, one per line; once saved
they are encrypted and never shown again, only counted (available / reserved / delivered).
"""

from __future__ import annotations

import reflex as rx

from models.product import DeliveryMode, Product
from models.settings import get_settings
from web import access, media, styles
from web.components.frame import frame
from web.components.widgets import data_table, drop_zone
from web.seller import SellerState
from workflows import products, stock
from workflows.errors import StoreError
from workflows.images import MAX_BYTES
from workflows.money import format_amount, parse_amount
from workflows.stock_cipher import StockCipher

MAX_STOCK_FILE_BYTES = 5 * 1024 * 1024


def _cipher() -> StockCipher:
    return StockCipher(get_settings().stock_encryption_key())


class ProductsState(SellerState):
    products: list[dict[str, str]] = []
    editing: str = ""
    upload_progress: int = 0
    form_key: int = 0  # bumped after a success: the form is remounted empty

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

    async def load(self):
        checked = await self._enter()
        if checked is None or not isinstance(checked, access.SellerAccess):
            return checked
        await self._reload(checked.guild_id, checked.store.currency)
        return None

    async def create(self, form: dict):
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
        return self._done(f"Product “{product.name}” created")

    def edit(self, product_id: str):
        self.editing = product_id
        self.error = self.notice = ""

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
        return await self._add_stock(lines)

    def stock_upload_progress(self, progress: dict):
        self.upload_progress = round(progress.get("progress", 0) * 100)

    async def _add_stock(self, lines: list[str]):
        try:
            checked = await self._access()
            product = await products.get_product(checked.guild_id, self.editing)
            added = await stock.add_items(product, lines, _cipher())
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        await self._reload(checked.guild_id, checked.store.currency)
        self.form_key += 1
        return self._done(f"Added {added} stock item(s) to “{product.name}”")


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
                rx.button("Create product", type="submit", id="create-product"),
                width="100%",
            ),
            on_submit=ProductsState.create,
            key=ProductsState.form_key,
        ),
        style=styles.card,
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
