"""/store/<guild>/payment-methods: bank accounts, e-wallets, QRIS and crypto, in the order
buyers see them. A QRIS is uploaded as the image the bank gave the seller (or pasted as text):
it is decoded and checked before it is saved. A saved method is edited in the same form it was
added with (filled in), and removed only after the seller confirms."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import reflex as rx

from models.payment_method import PaymentKind, PaymentMethod
from web import media, styles
from web.components.frame import frame
from web.components.widgets import confirm, data_table, drop_zone
from web.i18n import tx
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import payment_methods, qris
from workflows.errors import InvalidInput
from workflows.images import MAX_BYTES

KINDS = [kind.value for kind in PaymentKind]
# Fields of the form that are the method's own, not its details.
NOT_DETAILS = ("provider", "instructions", "form_token")
LABEL = {"font_size": "var(--font-size-2)", "font_weight": "500"}


@dataclass
class MethodRow:
    """One method as the table shows it; the page composes the words (they follow the language
    switch without a request)."""

    id: str = ""
    kind: str = "bank"
    provider: str = ""
    number: str = ""  # account or phone number, or the crypto address
    holder: str = ""  # the account holder (bank, e-wallet)
    merchant: str = ""  # the QRIS merchant
    network: str = ""  # the crypto network
    instructions: str = ""
    active: bool = True
    image: str = ""


@dataclass
class MethodDraft:
    """What the form shows: empty to add, a saved method's values to edit it."""

    provider: str = ""
    account_number: str = ""
    account_name: str = ""
    number: str = ""
    payload: str = ""
    address: str = ""
    network: str = ""
    instructions: str = ""


def _row(method: PaymentMethod) -> MethodRow:
    d = method.details
    return MethodRow(
        id=str(method.id),
        kind=method.kind.value,
        provider=method.provider,
        number=d.get("account_number") or d.get("number") or d.get("address") or "",
        holder=d.get("account_name") or "",
        merchant=d.get("merchant_name") or "",
        network=d.get("network") or "",
        instructions=method.instructions,
        active=method.active,
        image=media.public_url(media.thumbnail_ref(d.get("image_ref"))),
    )


def _draft(method: PaymentMethod) -> MethodDraft:
    d = method.details
    return MethodDraft(
        provider=method.provider,
        account_number=d.get("account_number", ""),
        account_name=d.get("account_name", ""),
        number=d.get("number", ""),
        address=d.get("address", ""),
        network=d.get("network", ""),
        instructions=method.instructions,
    )


class PaymentMethodsState(SellerState):
    methods: list[MethodRow] = []
    kind: str = "bank"
    draft: MethodDraft = MethodDraft()
    editing: str = ""  # the id of the method being edited; empty while adding
    editing_provider: str = ""
    qris_payload: str = ""
    qris_image_ref: str = ""
    form_key: int = 0
    # One per drawing of the form: a double click on Add (or Save) applies once, because the
    # second submit carries the token the first one used up.
    form_token: str = ""

    async def _reload(self, guild_id: int) -> None:
        self.methods = [_row(m) for m in await payment_methods.list_methods(guild_id)]

    def _fresh_form(self, draft: MethodDraft | None = None, editing: str = "", provider: str = "") -> None:
        self.draft = draft or MethodDraft()
        self.editing, self.editing_provider = editing, provider
        self.qris_payload = self.qris_image_ref = ""
        self.form_key += 1  # the form is drawn anew with the draft's values
        self.form_token = uuid.uuid4().hex

    @page_entry
    async def load(self, checked: SellerAccess):
        await self._reload(checked.guild_id)
        # The form is drawn anew on the first visit and to leave an edit; otherwise what the
        # seller may already be typing while the page loads stays.
        if self.form_key == 0 or self.editing:
            self._fresh_form()

    @seller_action
    async def set_kind(self, checked: SellerAccess, kind: str | list[str]):
        if self.editing:
            return None  # a saved method keeps its kind
        self.kind = kind if isinstance(kind, str) else kind[0]
        self.error = ""
        return None

    @seller_action
    async def upload_qris(self, checked: SellerAccess, files: list[rx.UploadFile]):
        if not files:
            raise InvalidInput(self._say("payment_methods.no_qris_file"))
        data = await files[0].read(MAX_BYTES + 1)
        payload = await asyncio.to_thread(qris.payload_from_image, data)
        qris.check_static(payload)
        self.qris_image_ref = await media.keep_image(checked.guild_id, data)
        self.qris_payload = payload
        merchant = dict(qris.parse(payload)).get("59", "?")
        return self._done(self._say("payment_methods.qris_read", merchant=merchant))

    def _details(self, form: dict) -> dict[str, str]:
        # A field of another kind's form, not on the page, arrives as None: not a value.
        details = {k: str(v) for k, v in form.items() if v is not None and k not in NOT_DETAILS}
        if self.kind == "qris":
            details["payload"] = details.get("payload", "").strip() or self.qris_payload
            if not details["payload"]:
                details.pop("payload")  # editing: the saved QRIS stays
            elif self.qris_image_ref and details["payload"] == self.qris_payload:
                details["image_ref"] = self.qris_image_ref
        return details

    @seller_action
    async def submit(self, checked: SellerAccess, form: dict):
        """Add a method, or save the one being edited: the same checks either way."""
        if form.get("form_token") != self.form_token:
            return None  # the same form submitted again (a double click): already done
        provider, instructions = str(form.get("provider") or ""), str(form.get("instructions") or "")
        if self.editing:
            # A QRIS form has no provider field: its saved name stays.
            named = {"provider": provider} if form.get("provider") is not None else {}
            method = await payment_methods.update_method(
                checked.guild_id,
                self.editing,
                details=self._details(form),
                instructions=instructions,
                by=checked.actor,
                **named,
            )
            said = self._say("payment_methods.saved", provider=method.provider)
        else:
            method = await payment_methods.add_method(
                checked.guild_id,
                PaymentKind(self.kind),
                provider,
                self._details(form),
                instructions,
                by=checked.actor,
            )
            said = self._say("payment_methods.added", provider=method.provider)
        self._fresh_form()
        await self._reload(checked.guild_id)
        # The chosen QRIS image lives in the browser's upload state, not in the form: without
        # clearing it the file stayed under the drop zone after "QRIS added", inviting a second.
        return [self._done(said), rx.clear_selected_files("qris_image")]

    @seller_action
    async def edit(self, checked: SellerAccess, method_id: str):
        method = await payment_methods.get_method(checked.guild_id, method_id)
        self.kind = method.kind.value
        self._fresh_form(_draft(method), str(method.id), method.provider)
        self.error = self.notice = ""
        return rx.clear_selected_files("qris_image")

    @seller_action
    async def cancel_edit(self, checked: SellerAccess):
        self._fresh_form()
        return rx.clear_selected_files("qris_image")

    @seller_action
    async def toggle(self, checked: SellerAccess, method_id: str):
        method = await payment_methods.get_method(checked.guild_id, method_id)
        await payment_methods.update_method(
            checked.guild_id, method_id, active=not method.active, by=checked.actor
        )
        await self._reload(checked.guild_id)

    @seller_action
    async def move(self, checked: SellerAccess, method_id: str, step: int):
        await payment_methods.move_method(checked.guild_id, method_id, step, by=checked.actor)
        await self._reload(checked.guild_id)

    @seller_action
    async def delete(self, checked: SellerAccess, method_id: str):
        method = await payment_methods.get_method(checked.guild_id, method_id)
        await payment_methods.delete_method(checked.guild_id, method_id, by=checked.actor)
        if self.editing == method_id:
            self._fresh_form()
        await self._reload(checked.guild_id)
        return self._done(self._say("payment_methods.removed", provider=method.provider))


def _field(label_key: str, control: rx.Component, control_id: str, **props) -> rx.Component:
    """A control with its visible label tied to it (screen readers and `get_by_label` find it)."""
    return rx.vstack(
        rx.el.label(tx(f"payment_methods.label.{label_key}"), html_for=control_id, style=LABEL),
        control,
        spacing="1",
        **props,
    )


def _input(name: str, control_id: str, label_key: str, value: rx.Var, **props) -> rx.Component:
    return _field(label_key, rx.input(name=name, id=control_id, default_value=value, **props), control_id)


def _provider(options: list[str], control_id: str, label_key: str) -> rx.Component:
    return _field(
        label_key,
        rx.select(
            options,
            name="provider",
            placeholder=tx("payment_methods.placeholder.choose"),
            id=control_id,
            default_value=PaymentMethodsState.draft.provider,
        ),
        control_id,
    )


def _holder() -> rx.Component:
    # The same id for the bank's and the e-wallet's holder: Reflex sends each id's value under
    # the field's name (id "account-name" → "account_name"), so a second id would leave the
    # hidden bank field's empty value in its place and the holder was lost ("a.n. None"). Only
    # one of the two is ever on the page.
    return _input("account_name", "account-name", "account_name", PaymentMethodsState.draft.account_name)


def _fields() -> rx.Component:
    draft = PaymentMethodsState.draft
    return rx.match(
        PaymentMethodsState.kind,
        (
            "bank",
            rx.flex(
                _provider(payment_methods.BANKS, "method-provider", "bank"),
                _input("account_number", "account-number", "account_number", draft.account_number),
                _holder(),
                spacing="3",
                wrap="wrap",
            ),
        ),
        (
            "ewallet",
            rx.flex(
                _provider(payment_methods.EWALLETS, "wallet-provider", "wallet"),
                _input(
                    "number",
                    "wallet-number",
                    "wallet_number",
                    draft.number,
                    placeholder=tx("payment_methods.placeholder.wallet_number"),
                ),
                _holder(),
                spacing="3",
                wrap="wrap",
            ),
        ),
        (
            "qris",
            rx.vstack(
                rx.text(tx("payment_methods.label.qris_image"), style=LABEL),
                drop_zone("qris_image", tx("payment_methods.drop_qris")),
                rx.button(
                    tx("payment_methods.read_qris"),
                    on_click=PaymentMethodsState.upload_qris(rx.upload_files(upload_id="qris_image")),
                    type="button",
                    id="read-qris",
                ),
                _field(
                    "qris_text",
                    rx.text_area(
                        name="payload",
                        id="qris-payload",
                        placeholder=rx.cond(
                            PaymentMethodsState.editing != "",
                            tx("payment_methods.placeholder.qris_replace"),
                            tx("payment_methods.placeholder.qris_text"),
                        ),
                        default_value=PaymentMethodsState.qris_payload,
                        key=PaymentMethodsState.qris_payload,
                        width="100%",
                    ),
                    "qris-payload",
                    width="100%",
                ),
                width="100%",
            ),
        ),
        rx.flex(
            _field(
                "network",
                rx.select(
                    payment_methods.NETWORKS,
                    name="network",
                    id="crypto-network",
                    placeholder=tx("payment_methods.placeholder.choose"),
                    default_value=draft.network,
                ),
                "crypto-network",
            ),
            _input(
                "provider",
                "crypto-coin",
                "coin",
                draft.provider,
                placeholder=tx("payment_methods.placeholder.coin"),
            ),
            _input("address", "crypto-address", "address", draft.address, min_width="320px"),
            spacing="3",
            wrap="wrap",
        ),
    )


def _summary(m: rx.Var) -> rx.Component:
    """How buyers will read the method: "1234567890 a.n. Toko Budi", "QRIS TOKO DEMO"…"""
    return rx.match(
        m.kind,
        ("qris", rx.text(tx("payment_methods.qris_merchant", merchant=m.merchant))),
        ("crypto", rx.text(m.number, " (", m.network, ")")),
        rx.text(m.number, " ", tx("payment_methods.holder", name=m.holder)),
    )


def _kind_label(kind: rx.Var) -> rx.Var:
    return rx.match(kind, *[(k, tx(f"payment_methods.kind.{k}")) for k in KINDS], kind)


def _remove(m: rx.Var) -> rx.Component:
    """Remove asks first: nothing happens until the seller confirms (issue 17, item 7)."""
    return confirm(
        rx.button(
            tx("payment_methods.remove"),
            size="1",
            color_scheme="red",
            variant="soft",
            class_name="remove-method",
        ),
        tx("payment_methods.confirm.title"),
        tx("payment_methods.confirm.body", provider=m.provider),
        rx.button(
            tx("payment_methods.confirm.remove"),
            color_scheme="red",
            on_click=PaymentMethodsState.delete(m.id),
            id="confirm-remove",
        ),
        tx("payment_methods.confirm.cancel"),
    )


def _method_row(m: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(_kind_label(m.kind)),
        rx.table.cell(rx.text(m.provider, weight="bold")),
        rx.table.cell(
            rx.hstack(
                rx.cond(m.image != "", rx.image(src=m.image, width="32px")), _summary(m), align="center"
            )
        ),
        rx.table.cell(m.instructions),
        rx.table.cell(
            rx.switch(
                checked=m.active,
                on_change=lambda _: PaymentMethodsState.toggle(m.id),
                aria_label=tx("payment_methods.active"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(
                    rx.icon("arrow-up", size=14),
                    size="1",
                    variant="soft",
                    on_click=PaymentMethodsState.move(m.id, -1),
                    aria_label=tx("payment_methods.up"),
                ),
                rx.icon_button(
                    rx.icon("arrow-down", size=14),
                    size="1",
                    variant="soft",
                    on_click=PaymentMethodsState.move(m.id, 1),
                    aria_label=tx("payment_methods.down"),
                ),
                rx.button(
                    tx("payment_methods.edit"),
                    size="1",
                    variant="soft",
                    on_click=PaymentMethodsState.edit(m.id),
                    class_name="edit-method",
                ),
                _remove(m),
            )
        ),
        custom_attrs={"data-method": m.id},
    )


def _form() -> rx.Component:
    editing = PaymentMethodsState.editing != ""
    return rx.card(
        rx.vstack(
            rx.heading(
                rx.cond(
                    editing,
                    tx("payment_methods.edit_heading", provider=PaymentMethodsState.editing_provider),
                    tx("payment_methods.add_heading"),
                ),
                size="4",
                id="method-form-heading",
            ),
            rx.cond(
                editing,
                rx.text(tx("payment_methods.editing_kind"), size="1", color_scheme="gray"),
                # On a phone the four kinds are wider than the screen: they scroll sideways.
                rx.box(
                    rx.segmented_control.root(
                        *[rx.segmented_control.item(tx(f"payment_methods.kind.{k}"), value=k) for k in KINDS],
                        value=PaymentMethodsState.kind,
                        on_change=PaymentMethodsState.set_kind,
                        id="method-kind",
                        aria_label=tx("payment_methods.label.kind"),
                    ),
                    overflow_x="auto",
                    max_width="100%",
                ),
            ),
            rx.form(
                rx.vstack(
                    _fields(),
                    _field(
                        "instructions",
                        rx.text_area(
                            name="instructions",
                            id="method-instructions",
                            default_value=PaymentMethodsState.draft.instructions,
                            width="100%",
                        ),
                        "method-instructions",
                        width="100%",
                    ),
                    rx.el.input(
                        type="hidden",
                        name="form_token",
                        id="form_token",
                        value=PaymentMethodsState.form_token,
                    ),
                    rx.hstack(
                        rx.button(
                            rx.cond(editing, tx("payment_methods.save"), tx("payment_methods.add")),
                            type="submit",
                            id="add-method",
                        ),
                        rx.cond(
                            editing,
                            rx.button(
                                tx("payment_methods.cancel_edit"),
                                type="button",
                                variant="soft",
                                color_scheme="gray",
                                on_click=PaymentMethodsState.cancel_edit,
                                id="cancel-edit",
                            ),
                        ),
                    ),
                    width="100%",
                ),
                on_submit=PaymentMethodsState.submit,
                key=PaymentMethodsState.form_key,
                width="100%",
            ),
            width="100%",
        ),
        style=styles.card,
        id="method-form",
    )


def payment_methods_page() -> rx.Component:
    return frame(
        "payment-methods",
        tx("payment_methods.title"),
        # Until the first load the form has nothing to show (and no token to add with).
        rx.cond(PaymentMethodsState.form_key > 0, _form(), rx.spinner(id="methods-loading")),
        rx.cond(
            PaymentMethodsState.methods.length() == 0,
            rx.text(tx("payment_methods.empty"), color_scheme="gray", id="no-methods"),
        ),
        data_table(
            [
                tx("payment_methods.column.kind"),
                tx("payment_methods.column.provider"),
                tx("payment_methods.column.details"),
                tx("payment_methods.column.instructions"),
                tx("payment_methods.column.active"),
                "",
            ],
            PaymentMethodsState.methods,
            _method_row,
            "methods",
        ),
    )
