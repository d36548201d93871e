"""/store/<guild>/products: the catalogue, an image per product, and stock.

Stock items (keys, accounts…) are pasted or uploaded as .txt/.csv, one per line; once saved
they are encrypted. A product's items are listed masked (`can***@mail.com:***`) with their
status; a seller can search them, reveal one on purpose (recorded) and remove available ones.

Every form that changes something carries a token issued when it was drawn: a second submit
of the same drawing (a double click) is the same request and is ignored, so one click is one
product or one batch of stock, and the seller sees one result. A token (not a unique product
name) because two products may share a name on purpose, and a store that already has two
cannot be given a unique index without failing to start.

Deleting a product and removing stock items ask first (an alert dialog); nothing happens
until the seller confirms. Every text is in web/locales/<language>/products.yaml.

A product may carry a 3D model (.glb, or .gltf with everything embedded): checked and kept by
web.media.keep_model (a bad file is refused in the seller's language and nothing changes),
shown in the three.js viewer (web/components/viewer3d.py); its texts are in viewer.yaml.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import reflex as rx

from models.product import DeliveryMode
from models.settings import get_settings
from models.stock_item import StockItemStatus
from web import discord_api, media, styles
from web.components.frame import frame
from web.components.viewer3d import viewer3d
from web.components.widgets import confirm, data_table, drop_zone
from web.i18n import tx
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import products, role_grants, stock, stock_alerts
from workflows.errors import InvalidInput, StoreError
from workflows.images import MAX_BYTES
from workflows.model3d import MAX_BYTES as MAX_MODEL_BYTES
from workflows.money import digits, format_amount, format_plain, parse_amount
from workflows.stock_cipher import StockCipher

MAX_STOCK_FILE_BYTES = 5 * 1024 * 1024
MAX_MANUAL_STOCK = 1_000_000
NEW_IMAGE = "new_product_image"  # the drop zone of the "New product" form
MODEL_UPLOAD = "product_model"  # the editor's drop zone for a 3D model
MODEL_ENDINGS = (".glb", ".gltf")


def _cipher() -> StockCipher:
    return StockCipher(get_settings().stock_encryption_key())


def _token() -> str:
    return uuid.uuid4().hex


@dataclass
class ProductRow:
    """A product as the catalogue shows it; amounts already written ("Rp 75.000")."""

    id: str = ""
    name: str = ""
    price: str = ""  # "Rp 75.000", for lists
    price_input: str = ""  # "75.000", as the price box shows it
    description: str = ""
    mode: str = DeliveryMode.AUTOMATIC.value
    active: bool = True
    available: int = 0
    reserved: int = 0
    delivered: str = ""  # "—" for a manual product: its sales keep no items
    kept_items: int = 0  # a manual product's stock items saved from when it was automatic
    manual_text: str = ""
    image: str = ""
    model: str = ""  # the 3D model's URL ('' for none)
    public_page: str = ""  # the product's public page (the viewer, price and stock)
    low_stock: str = ""  # the low-stock alert threshold as typed ('' for none; `workflows.stock_alerts`)
    role_id: str = ""  # the Discord role it gives after delivery ('' for none)
    role_days: str = ""  # for how many days ('' for good)


@dataclass
class RoleOption:
    """A role of the server the seller may pick, by its name."""

    id: str = ""
    name: str = ""


async def _server_roles(guild_id: int) -> dict[int, str] | None:
    """The server's roles by id, with their names, as the bot reads them (resources/guild.mdx
    "Get Guild Roles"), highest first; not @everyone, nor roles an integration manages (Discord
    gives those to nobody: topics/permissions.mdx "Role Object", `managed`). None when Discord
    cannot say."""
    try:
        async with discord_api.bot_client() as http:
            response = await http.get(f"{discord_api.api_base()}/guilds/{guild_id}/roles")
        if response.status_code != 200:
            return None
        roles = sorted(response.json(), key=lambda r: -int(r.get("position", 0)))
        givable = [r for r in roles if int(r["id"]) != guild_id and not r.get("managed")]
        return {int(r["id"]): str(r["name"]) for r in givable}
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


@dataclass
class StockItemRow:
    """A stock item in the editor's list: masked, never the secret itself."""

    id: str = ""
    preview: str = ""
    status: str = StockItemStatus.AVAILABLE.value
    ticket: str = ""  # the number of the ticket holding or given it
    available: bool = True


def _product_row(entry: products.CatalogueEntry, currency: str, low_stock: int | None = None) -> ProductRow:
    p = entry.product
    return ProductRow(
        id=str(p.id),
        name=p.name,
        price=format_amount(p.price, currency),
        price_input=format_plain(p.price, currency),
        description=p.description,
        mode=p.delivery_mode.value,
        active=p.active,
        available=entry.available,
        reserved=entry.reserved,
        delivered="—" if entry.delivered is None else str(entry.delivered),
        kept_items=entry.kept_items,
        manual_text=p.manual_delivery_text,
        image=media.public_url(media.thumbnail_ref(p.image_ref)),
        model=media.public_url(p.model_ref),
        public_page=products.public_page_url(get_settings().public_url, p.guild_id, p.id),
        low_stock="" if low_stock is None else str(low_stock),
        role_id=str(p.role_id or ""),
        role_days=str(p.role_days or ""),
    )


class ProductsState(SellerState):
    products: list[ProductRow] = []
    editing: str = ""
    upload_progress: int = 0
    form_key: int = 0  # bumped after a success: the form is remounted empty
    # One token per drawing of the "New product" form and of the stock form (module docstring).
    create_token: str = ""
    stock_token: str = ""
    # The image chosen in the "New product" form, kept as soon as it is chosen and given to the
    # product when Create is clicked. Not uploaded with Create: Reflex sends an upload over
    # HTTP beside the websocket, so it could reach the server before the product existed.
    new_image_ref: str = ""
    new_image_name: str = ""
    # The edited product's stock items, masked; the texts revealed on purpose; the ticked ones.
    items: list[StockItemRow] = []
    revealed: dict[str, str] = {}
    selected: list[str] = []
    query: str = ""
    just_removed: bool = False  # the last stock action removed the ticked items
    # The server's roles for the editor's role picker (read when a product is opened).
    roles: list[RoleOption] = []
    roles_unavailable: bool = False

    @rx.var
    def editing_product(self) -> ProductRow:
        return next((p for p in self.products if p.id == self.editing), ProductRow())

    async def _reload(self, checked: SellerAccess) -> None:
        """The catalogue with every product's stock: a fixed number of queries however many
        products (`products.catalogue`), never one per row."""
        currency = checked.store.currency
        alerts = await stock_alerts.thresholds(checked.guild_id)
        self.products = [
            _product_row(entry, currency, alerts.get(entry.product.id))
            for entry in await products.catalogue(checked.guild_id)
        ]

    async def _reload_items(self, checked: SellerAccess, product=None) -> None:
        """The edited product's items as the list shows them (search results when searching)."""
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
            StockItemRow(
                id=row.id,
                preview=row.preview,
                status=row.status.value,
                ticket=str(row.ticket_number or "?"),
                available=row.status is StockItemStatus.AVAILABLE,
            )
            for row in rows
        ]
        self.selected = [item_id for item_id in self.selected if any(i.id == item_id for i in self.items)]

    def _price(self, written: str, currency: str) -> int:
        """A typed price ("75.000", "Rp 75.000") in the smallest unit, or a refusal naming the
        field and what is allowed, in the seller's language."""
        example = format_amount(75_000 * 10 ** digits(currency), currency)
        if not written.strip():
            raise StoreError(self._say("products.said.price_required", example=example))
        try:
            return parse_amount(written, currency)
        except ValueError:
            plain = format_plain(75_000 * 10 ** digits(currency), currency)
            raise StoreError(self._say("products.said.price_invalid", example=example, plain=plain)) from None

    def _manual_stock(self, written: object) -> int:
        try:
            count = int(str(written or "0").strip())
        except ValueError:
            count = -1
        if not 0 <= count <= MAX_MANUAL_STOCK:
            raise StoreError(self._say("products.said.stock_invalid"))
        return count

    @page_entry
    async def load(self, checked: SellerAccess):
        await self._reload(checked)
        self.new_image_ref = self.new_image_name = ""
        self.create_token, self.stock_token = _token(), _token()

    @seller_action
    async def create(self, checked: SellerAccess, form: dict):
        if form.get("create_token") != self.create_token:
            return None  # the same form submitted again (a double click): already handled
        mode = str(form.get("delivery_mode") or DeliveryMode.AUTOMATIC.value)
        product = await products.create_product(
            checked.guild_id,
            name=str(form.get("name", "")),
            price=self._price(str(form.get("price", "")), checked.store.currency),
            description=str(form.get("description", "")),
            delivery_mode=mode,
            stock=self._manual_stock(form.get("stock")) if mode == DeliveryMode.MANUAL.value else 0,
            manual_delivery_text=str(form.get("manual_delivery_text", "")),
            by=checked.actor,
        )
        if self.new_image_ref:
            await products.update_product(
                checked.guild_id, str(product.id), image_ref=self.new_image_ref, by=checked.actor
            )
        self.new_image_ref = self.new_image_name = ""
        await self._reload(checked)
        self.editing = str(product.id)
        self.form_key += 1
        self.create_token = _token()
        self.items, self.revealed, self.selected, self.query = [], {}, [], ""
        return self._done(self._say("products.said.created", name=product.name))

    @seller_action
    async def choose_new_image(self, checked: SellerAccess, files: list[rx.UploadFile]):
        """The image dropped on the "New product" form: checked and kept now (metadata removed,
        thumbnail made), given to the product on Create. A refused file leaves no choice."""
        self.new_image_ref = self.new_image_name = ""
        if not files:
            return None
        self.new_image_ref = await media.keep_image(checked.guild_id, await files[0].read(MAX_BYTES + 1))
        self.new_image_name = files[0].name or ""
        return None

    @seller_action
    async def edit(self, checked: SellerAccess, product_id: str):
        self.editing = product_id
        self.error = self.notice = ""
        self.revealed, self.selected, self.query = {}, [], ""
        await self._reload_items(checked)
        await self._reload_roles(checked)

    async def _reload_roles(self, checked: SellerAccess) -> dict[int, str]:
        roles = await _server_roles(checked.guild_id)
        self.roles_unavailable = roles is None
        self.roles = [RoleOption(id=str(i), name=name) for i, name in (roles or {}).items()]
        return roles or {}

    @seller_action
    async def save_role(self, checked: SellerAccess, form: dict):
        """The role the edited product gives, and for how many days."""
        roles = await self._reload_roles(checked)
        if self.roles_unavailable:
            raise StoreError(self._say("products.role.unavailable"))
        picked, written = str(form.get("role_id") or "").strip(), str(form.get("role_days") or "").strip()
        role_id = int(picked) if picked.isdigit() else None
        if written and not written.isdigit():
            raise StoreError("Role days", key="role_grants_days", most=role_grants.MAX_DAYS)
        days = int(written) if written else None
        product = await role_grants.set_role(checked.guild_id, self.editing, role_id, days, roles)
        await self._reload(checked)
        if product.role_id is None:
            return self._done(self._say("products.role.cleared", name=product.name))
        if product.role_days:
            said = self._say("products.role.saved_days", name=product.name, role=product.role_name, days=days)
            return self._done(said)
        return self._done(self._say("products.role.saved", name=product.name, role=product.role_name))

    @seller_action
    async def search_items(self, checked: SellerAccess, form: dict):
        self.query = str(form.get("stock_query", ""))
        await self._reload_items(checked)

    def toggle_item(self, item_id: str, ticked: bool):
        self.just_removed = False
        others = [i for i in self.selected if i != item_id]
        self.selected = [*others, item_id] if ticked else others

    @seller_action
    async def reveal(self, checked: SellerAccess, item_id: str):
        """One item's text, shown because the seller clicked its Reveal (recorded: who, when)."""
        product = await products.get_product(checked.guild_id, self.editing)
        secret = await stock.reveal(product, item_id, checked.session.user_id, _cipher())
        self.revealed = {**self.revealed, item_id: secret}
        return self._done(self._say("products.said.revealed"))

    @seller_action
    async def remove_selected(self, checked: SellerAccess):
        if not self.selected and self.just_removed:
            return None  # the second click of a double click: the removal is already done
        if not self.selected:
            raise StoreError(self._say("products.said.none_selected"))
        product = await products.get_product(checked.guild_id, self.editing)
        removed, kept = await stock.remove_available(product, self.selected, by=checked.actor)
        self.selected, self.just_removed = [], True
        await self._reload(checked)
        await self._reload_items(checked, product)
        message = self._say("products.said.removed", count=removed)
        if kept:
            message += " " + self._say("products.said.kept", count=kept)
        return self._done(message)

    @seller_action
    async def save(self, checked: SellerAccess, form: dict):
        product = await products.get_product(checked.guild_id, self.editing)
        manual = product.delivery_mode is DeliveryMode.MANUAL
        count = self._manual_stock(form.get("stock")) if manual and form.get("stock", "") != "" else None
        product = await products.update_product(
            checked.guild_id,
            self.editing,
            name=str(form.get("name", "")).strip(),
            price=self._price(str(form.get("price", "")), checked.store.currency),
            description=str(form.get("description", "")),
            manual_delivery_text=str(form.get("manual_delivery_text", "")),
            by=checked.actor,
        )
        if count is not None:
            await stock.set_manual_stock(product, count, by=checked.actor)
        written = str(form.get("low_stock", "")).strip()
        threshold = None if written == "" else _whole(written)
        if threshold != await stock_alerts.threshold_of(product.id):
            await stock_alerts.set_threshold(checked.guild_id, product.id, threshold, by=checked.actor)
        await self._reload(checked)
        return self._done(self._say("products.said.saved", name=product.name))

    @seller_action
    async def change_mode(self, checked: SellerAccess, mode: str):
        """Automatic ⇄ manual; the stock items stay saved either way (`products.set_delivery_mode`)."""
        product = await products.set_delivery_mode(checked.guild_id, self.editing, mode, by=checked.actor)
        await self._reload(checked)
        self.selected, self.revealed = [], {}
        await self._reload_items(checked, product)
        return self._done(self._say(f"products.said.mode_{product.delivery_mode.value}", name=product.name))

    @seller_action
    async def toggle_active(self, checked: SellerAccess, product_id: str):
        product = await products.get_product(checked.guild_id, product_id)
        await products.update_product(
            checked.guild_id, product_id, active=not product.active, by=checked.actor
        )
        await self._reload(checked)
        said = "products.said.now_hidden" if product.active else "products.said.now_on_sale"
        return self._done(self._say(said, name=product.name))

    @seller_action
    async def delete(self, checked: SellerAccess, product_id: str):
        product = await products.get_product(checked.guild_id, product_id)
        await products.delete_product(checked.guild_id, product_id, by=checked.actor)
        if self.editing == product_id:
            self.editing = ""
        await self._reload(checked)
        return self._done(self._say("products.said.deleted", name=product.name))

    @seller_action
    async def upload_image(self, checked: SellerAccess, files: list[rx.UploadFile]):
        if not files:
            raise StoreError(self._say("products.said.choose_image"))
        data = await files[0].read(MAX_BYTES + 1)
        ref = await media.keep_image(checked.guild_id, data)
        await products.update_product(checked.guild_id, self.editing, image_ref=ref, by=checked.actor)
        await self._reload(checked)
        return [self._done(self._say("products.said.image_saved")), rx.clear_selected_files("product_image")]

    @seller_action
    async def upload_model(self, checked: SellerAccess, files: list[rx.UploadFile]):
        """A 3D model for the edited product: checked whole before anything is kept or changed
        (web.media.keep_model); the chosen file is let go either way, so a refused one is not
        sent again by the next click."""
        if not files:
            raise StoreError(self._say("viewer.said.choose"))
        clear = rx.clear_selected_files(MODEL_UPLOAD)
        name = files[0].name or ""
        try:
            if not name.lower().endswith(MODEL_ENDINGS):
                raise StoreError(self._say("viewer.said.file_type", file=name))
            model_ref, still_ref = await media.keep_model(
                checked.guild_id, await files[0].read(MAX_MODEL_BYTES + 1)
            )
        except StoreError as refused:
            return [self._failed(refused), clear]
        product = await products.set_model(
            checked.guild_id, self.editing, model_ref, still_ref, by=checked.actor
        )
        await self._reload(checked)
        return [self._done(self._say("viewer.said.saved", name=product.name)), clear]

    @seller_action
    async def remove_model(self, checked: SellerAccess):
        product = await products.remove_model(checked.guild_id, self.editing, by=checked.actor)
        await self._reload(checked)
        return self._done(self._say("viewer.said.removed", name=product.name))

    async def add_stock_lines(self, form: dict):
        if form.get("stock_token") != self.stock_token:
            return None  # the same paste submitted again (a double click): already added
        return await self._add_stock(str(form.get("items", "")).splitlines())

    async def upload_stock(self, files: list[rx.UploadFile]):
        lines: list[str] = []
        for file in files:
            name = file.name or ""
            refused = ""
            if not name.lower().endswith((".txt", ".csv")):
                refused = "products.said.file_type"
            else:
                data = await file.read(MAX_STOCK_FILE_BYTES + 1)
                if len(data) > MAX_STOCK_FILE_BYTES:
                    refused = "products.said.file_too_big"
                else:
                    try:
                        lines += data.decode("utf-8-sig").splitlines()
                    except UnicodeDecodeError:
                        refused = "products.said.file_not_text"
            if refused:
                return self._failed(StoreError(self._say(refused, file=name)))
        self.upload_progress = 0
        # The chosen files stay in the browser's upload state: cleared, a second click has
        # nothing to upload again.
        return [await self._add_stock(lines), rx.clear_selected_files("stock_file")]

    def stock_upload_progress(self, progress: dict):
        self.upload_progress = round(progress.get("progress", 0) * 100)

    @seller_action
    async def _add_stock(self, checked: SellerAccess, lines: list[str]):
        product = await products.get_product(checked.guild_id, self.editing)
        result = await stock.add_items(product, lines, _cipher(), by=checked.actor)
        if not result.added and not result.duplicates:
            raise StoreError(self._say("products.said.nothing"))
        await self._reload(checked)
        await self._reload_items(checked, product)
        self.form_key += 1
        self.stock_token = _token()
        message = self._say("products.said.added", added=result.added, product=product.name)
        if result.duplicates:
            message += " " + self._say("products.said.duplicates", count=result.duplicates)
        return self._done(message)


def _whole(written: str) -> int:
    """The low-stock threshold as typed: a whole number (the workflow checks its range)."""
    if not (written.isascii() and written.isdigit()):
        raise InvalidInput(key="stock_alerts_threshold")
    return int(written)


def _label(key: str, for_id: str) -> rx.Component:
    """A visible label tied to its input (screen readers, and `get_by_label`, find the field)."""
    return rx.el.label(tx(key), html_for=for_id, style={"font_size": "0.85em", "font_weight": "500"})


def _field(key: str, field: rx.Component, for_id: str, **box) -> rx.Component:
    return rx.vstack(_label(key, for_id), field, spacing="1", **box)


def _mode_select(for_id: str, **props) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=for_id),
        rx.select.content(
            *[rx.select.item(tx(f"products.mode.{mode.value}"), value=mode.value) for mode in DeliveryMode]
        ),
        **props,
    )


def _row(p: ProductRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(p.image != "", rx.image(src=p.image, width="40px", height="40px", border_radius="6px"))
        ),
        rx.table.cell(rx.text(p.name, weight="bold")),
        rx.table.cell(p.price, class_name="product-price"),
        rx.table.cell(
            rx.cond(p.mode == "manual", tx("products.mode.manual"), tx("products.mode.automatic")),
            class_name="product-mode",
        ),
        rx.table.cell(rx.text(p.available, " / ", p.reserved, " / ", p.delivered), class_name="stock-counts"),
        rx.table.cell(
            rx.badge(
                rx.cond(p.active, tx("products.on_sale"), tx("products.hidden")),
                color_scheme=rx.cond(p.active, "green", "gray"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    tx("products.edit"),
                    size="1",
                    on_click=ProductsState.edit(p.id),
                    class_name="edit-product",
                ),
                rx.button(
                    rx.cond(p.active, tx("products.hide"), tx("products.sell")),
                    size="1",
                    variant="soft",
                    on_click=ProductsState.toggle_active(p.id),
                ),
                confirm(
                    rx.button(
                        tx("products.delete"),
                        size="1",
                        color_scheme="red",
                        variant="soft",
                        class_name="delete-product",
                    ),
                    tx("products.delete_question", name=p.name),
                    tx("products.delete_detail"),
                    rx.button(
                        tx("products.delete"),
                        color_scheme="red",
                        on_click=ProductsState.delete(p.id),
                        class_name="confirm-yes",
                    ),
                    tx("products.keep"),
                ),
                wrap="wrap",
            )
        ),
        custom_attrs={"data-product": p.name},
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tx("products.new.heading"), size="4"),
                rx.flex(
                    _field(
                        "products.new.name",
                        rx.input(
                            name="name", placeholder=tx("products.new.name_hint"), id="new-name", width="100%"
                        ),
                        "new-name",
                        flex="2",
                        min_width="220px",
                    ),
                    _field(
                        "products.new.price",
                        rx.input(
                            name="price",
                            placeholder=tx("products.new.price_hint"),
                            id="new-price",
                            input_mode="numeric",
                            width="100%",
                        ),
                        "new-price",
                        flex="1",
                        min_width="140px",
                    ),
                    _field(
                        "products.new.mode",
                        _mode_select("new-mode", name="delivery_mode", default_value="automatic"),
                        "new-mode",
                    ),
                    _field(
                        "products.new.stock",
                        rx.input(name="stock", type="number", min="0", id="new-stock", width="130px"),
                        "new-stock",
                    ),
                    wrap="wrap",
                    spacing="2",
                    width="100%",
                ),
                _field(
                    "products.new.description",
                    rx.text_area(
                        name="description",
                        placeholder=tx("products.new.description_hint"),
                        id="new-description",
                        width="100%",
                    ),
                    "new-description",
                    width="100%",
                ),
                _field(
                    "products.new.manual_text",
                    rx.text_area(
                        name="manual_delivery_text",
                        placeholder=tx("products.new.manual_text_hint"),
                        id="new-manual-text",
                        width="100%",
                    ),
                    "new-manual-text",
                    width="100%",
                ),
                rx.text(tx("products.new.image"), size="2", weight="medium"),
                drop_zone(
                    NEW_IMAGE,
                    tx("products.new.image_drop"),
                    on_drop=ProductsState.choose_new_image(rx.upload_files(upload_id=NEW_IMAGE)),
                    chosen=ProductsState.new_image_name,
                ),
                rx.el.input(
                    type="hidden", name="create_token", id="create_token", value=ProductsState.create_token
                ),
                rx.button(tx("products.new.create"), type="submit", id="create-product"),
                width="100%",
            ),
            on_submit=ProductsState.create,
            key=ProductsState.form_key,
        ),
        style=styles.card,
        id="new-product",
    )


def _item_row(item: StockItemRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                item.available,
                rx.checkbox(
                    checked=ProductsState.selected.contains(item.id),
                    on_change=ProductsState.toggle_item(item.id),
                    aria_label=item.preview,
                ),
            )
        ),
        rx.table.cell(
            rx.code(
                rx.cond(
                    ProductsState.revealed.contains(item.id), ProductsState.revealed[item.id], item.preview
                )
            ),
            class_name="stock-item-text",
        ),
        rx.table.cell(
            rx.match(
                item.status,
                ("reserved", tx("products.items.status.reserved", number=item.ticket)),
                ("delivered", tx("products.items.status.delivered", number=item.ticket)),
                tx("products.items.status.available"),
            ),
            class_name="stock-item-status",
        ),
        rx.table.cell(
            rx.button(
                tx("products.items.reveal"),
                size="1",
                variant="soft",
                on_click=ProductsState.reveal(item.id),
                class_name="reveal-item",
            )
        ),
        custom_attrs={"data-status": item.status},
        class_name="stock-item",
    )


def _stock_list() -> rx.Component:
    """The product's items, masked; search, reveal one, remove the ticked available ones."""
    return rx.vstack(
        rx.divider(),
        rx.text(tx("products.items.title"), weight="bold"),
        rx.form(
            rx.vstack(
                _label("products.items.search_label", "stock_query"),
                rx.hstack(
                    rx.input(
                        name="stock_query",
                        id="stock_query",
                        placeholder=tx("products.items.search_hint"),
                        default_value=ProductsState.query,
                        flex="1",
                    ),
                    rx.button(tx("products.items.search"), type="submit", id="search-stock"),
                    width="100%",
                ),
                spacing="1",
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
        confirm(
            rx.button(
                tx("products.items.remove"),
                color_scheme="red",
                variant="soft",
                id="remove-stock",
                disabled=ProductsState.selected.length() == 0,
            ),
            tx("products.items.remove_question", count=ProductsState.selected.length()),
            tx("products.items.remove_detail"),
            rx.button(
                tx("products.items.remove"),
                color_scheme="red",
                on_click=ProductsState.remove_selected,
                id="confirm-remove-stock",
            ),
            tx("products.items.cancel"),
        ),
        width="100%",
    )


def _automatic_stock(p: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.divider(),
        rx.text(
            tx(
                "products.editor.stock_summary",
                available=p.available,
                reserved=p.reserved,
                delivered=p.delivered,
            ),
            id="stock-summary",
        ),
        rx.form(
            rx.vstack(
                _label("products.editor.stock_lines", "stock-lines"),
                rx.text_area(
                    name="items",
                    placeholder=tx("products.editor.stock_lines_hint"),
                    id="stock-lines",
                    width="100%",
                    rows="5",
                ),
                rx.el.input(
                    type="hidden", name="stock_token", id="stock_token", value=ProductsState.stock_token
                ),
                rx.button(tx("products.editor.add_stock"), type="submit", id="add-stock"),
                width="100%",
            ),
            on_submit=ProductsState.add_stock_lines,
            key=ProductsState.form_key,
            width="100%",
        ),
        drop_zone("stock_file", tx("products.editor.stock_file_drop"), single=False),
        rx.button(
            tx("products.editor.upload_stock"),
            on_click=ProductsState.upload_stock(
                rx.upload_files(
                    upload_id="stock_file", on_upload_progress=ProductsState.stock_upload_progress
                )
            ),
        ),
        rx.progress(value=ProductsState.upload_progress, max=100, width="100%"),
        _stock_list(),
        width="100%",
    )


def _model_section(p: rx.Var) -> rx.Component:
    """The product's 3D model: the viewer (or "none yet"), its public page, remove (asks
    first), and a drop zone to upload one (a new upload replaces it)."""
    return rx.vstack(
        rx.divider(),
        rx.text(tx("viewer.editor.heading"), weight="bold"),
        rx.text(tx("viewer.editor.hint"), size="1", color_scheme="gray"),
        rx.cond(
            p.model != "",
            rx.vstack(
                rx.box(
                    viewer3d(p.model, p.name, element_id="editor-viewer"),
                    width="100%",
                    border="1px solid var(--gray-6)",
                    border_radius="8px",
                    overflow="hidden",
                ),
                rx.hstack(
                    rx.link(
                        tx("viewer.editor.public_page"),
                        href=p.public_page,
                        is_external=True,
                        id="public-page-link",
                    ),
                    confirm(
                        rx.button(
                            tx("viewer.editor.remove"), color_scheme="red", variant="soft", id="remove-model"
                        ),
                        tx("viewer.editor.remove_question", name=p.name),
                        tx("viewer.editor.remove_detail"),
                        rx.button(
                            tx("viewer.editor.remove"),
                            color_scheme="red",
                            on_click=ProductsState.remove_model,
                            id="confirm-remove-model",
                        ),
                        tx("viewer.editor.keep"),
                    ),
                    align="center",
                    spacing="4",
                    wrap="wrap",
                ),
                width="100%",
            ),
            rx.text(tx("viewer.editor.none"), size="2", id="no-model"),
        ),
        drop_zone(MODEL_UPLOAD, tx("viewer.editor.drop")),
        rx.button(
            tx("viewer.editor.upload"),
            on_click=ProductsState.upload_model(rx.upload_files(upload_id=MODEL_UPLOAD)),
            id="upload-model",
        ),
        width="100%",
        id="product-model",
    )


def _role_section(p: rx.Var) -> rx.Component:
    """The role the product gives after delivery (issue 20, item 2): picked by name."""
    key = ProductsState.editing
    return rx.vstack(
        rx.divider(),
        rx.text(tx("products.role.title"), weight="bold"),
        rx.form(
            rx.flex(
                _field(
                    "products.role.pick",
                    rx.el.select(
                        rx.el.option(tx("products.role.none"), value=""),
                        rx.foreach(ProductsState.roles, lambda r: rx.el.option(r.name, value=r.id)),
                        name="role_id",
                        default_value=p.role_id,
                        key=key + "r" + p.role_id + ProductsState.roles.length().to_string(),
                        id="edit-role",
                        style={"padding": "6px", "min_width": "220px"},
                    ),
                    "edit-role",
                ),
                _field(
                    "products.role.days",
                    rx.input(
                        name="role_days",
                        default_value=p.role_days,
                        key=key + "rd" + p.role_days,
                        id="edit-role-days",
                        input_mode="numeric",
                        width="130px",
                    ),
                    "edit-role-days",
                ),
                rx.button(tx("products.role.save"), type="submit", id="save-role", align_self="end"),
                spacing="2",
                wrap="wrap",
            ),
            on_submit=ProductsState.save_role,
        ),
        rx.text(tx("products.role.note"), size="1", color_scheme="gray"),
        rx.cond(
            ProductsState.roles_unavailable,
            rx.text(tx("products.role.unavailable"), size="2", color_scheme="red"),
        ),
        width="100%",
    )


def _editor() -> rx.Component:
    p = ProductsState.editing_product
    key = ProductsState.editing
    return rx.cond(
        ProductsState.editing != "",
        rx.card(
            rx.vstack(
                rx.heading(tx("products.editor.heading", name=p.name), size="4"),
                rx.form(
                    rx.vstack(
                        rx.flex(
                            _field(
                                "products.new.name",
                                rx.input(
                                    name="name",
                                    default_value=p.name,
                                    key=key + "n",
                                    id="edit-name",
                                    width="100%",
                                ),
                                "edit-name",
                                flex="2",
                                min_width="220px",
                            ),
                            _field(
                                "products.new.price",
                                rx.input(
                                    name="price",
                                    default_value=p.price_input,
                                    key=key + p.price_input,
                                    id="edit-price",
                                    input_mode="numeric",
                                    width="100%",
                                ),
                                "edit-price",
                                flex="1",
                                min_width="140px",
                            ),
                            _field(
                                "products.editor.low_stock",
                                rx.input(
                                    name="low_stock",
                                    default_value=p.low_stock,
                                    type="number",
                                    min="0",
                                    key=key + "l" + p.low_stock,
                                    id="edit-low-stock",
                                    width="130px",
                                ),
                                "edit-low-stock",
                            ),
                            rx.cond(
                                p.mode == "manual",
                                _field(
                                    "products.new.stock",
                                    rx.input(
                                        name="stock",
                                        default_value=p.available.to_string(),
                                        type="number",
                                        min="0",
                                        key=key + "s" + p.available.to_string(),
                                        id="edit-stock",
                                        width="130px",
                                    ),
                                    "edit-stock",
                                ),
                            ),
                            spacing="2",
                            width="100%",
                            wrap="wrap",
                        ),
                        _field(
                            "products.new.description",
                            rx.text_area(
                                name="description",
                                default_value=p.description,
                                key=key + "d",
                                id="edit-description",
                                width="100%",
                            ),
                            "edit-description",
                            width="100%",
                        ),
                        _field(
                            "products.new.manual_text",
                            rx.text_area(
                                name="manual_delivery_text",
                                default_value=p.manual_text,
                                key=key + "m",
                                id="edit-manual-text",
                                width="100%",
                            ),
                            "edit-manual-text",
                            width="100%",
                        ),
                        rx.button(tx("products.editor.save"), type="submit", id="save-product"),
                        width="100%",
                    ),
                    on_submit=ProductsState.save,
                ),
                rx.divider(),
                _field(
                    "products.new.mode",
                    _mode_select("edit-mode", value=p.mode, on_change=ProductsState.change_mode),
                    "edit-mode",
                ),
                rx.text(tx("products.mode.note"), size="1", color_scheme="gray"),
                rx.cond(
                    (p.mode == "manual") & (p.kept_items > 0),
                    rx.text(
                        tx("products.editor.mode_changed_note", count=p.kept_items), size="2", id="kept-items"
                    ),
                ),
                rx.divider(),
                rx.text(tx("products.editor.image"), weight="bold"),
                drop_zone("product_image", tx("products.new.image_drop")),
                rx.button(
                    tx("products.editor.upload_image"),
                    on_click=ProductsState.upload_image(rx.upload_files(upload_id="product_image")),
                    id="upload-image",
                ),
                _model_section(p),
                _role_section(p),
                rx.cond(p.mode == "automatic", _automatic_stock(p)),
                width="100%",
            ),
            style=styles.card,
            id="product-editor",
        ),
    )


def products_page() -> rx.Component:
    return frame(
        "products",
        tx("products.title"),
        _create_form(),
        _editor(),
        data_table(
            [
                "",
                tx("products.column.name"),
                tx("products.column.price"),
                tx("products.column.mode"),
                tx("products.column.stock"),
                tx("products.column.status"),
                tx("products.column.actions"),
            ],
            ProductsState.products,
            _row,
            "products",
        ),
    )
