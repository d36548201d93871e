"""/store/<guild>/payment-methods: bank accounts, e-wallets, QRIS and crypto, in the order
buyers see them. A QRIS is uploaded as the image the bank gave the seller (or pasted as text):
it is decoded and checked before it is saved."""

from __future__ import annotations

import asyncio
import uuid

import reflex as rx

from models.payment_method import PaymentKind
from web import access, media, styles
from web.components.frame import frame
from web.components.widgets import data_table, drop_zone
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import payment_methods, qris
from workflows.errors import InvalidInput, StoreError
from workflows.images import MAX_BYTES

KIND_LABELS = {"bank": "Bank transfer", "ewallet": "E-wallet", "qris": "QRIS", "crypto": "Crypto"}


def _summary(kind: str, details: dict[str, str]) -> str:
    if kind == "bank":
        return f"{details.get('account_number', '')} a.n. {details.get('account_name', '')}"
    if kind == "ewallet":
        return f"{details.get('number', '')} a.n. {details.get('account_name', '')}"
    if kind == "qris":
        return f"QRIS {details.get('merchant_name', '')}".strip()
    return f"{details.get('address', '')} ({details.get('network', '')})"


class PaymentMethodsState(SellerState):
    methods: list[dict[str, str]] = []
    kind: str = "bank"
    qris_payload: str = ""
    qris_image_ref: str = ""
    form_key: int = 0
    add_token: str = ""  # one per drawing of the form: a double click adds one method

    async def _reload(self, guild_id: int) -> None:
        self.methods = [
            {
                "id": str(m.id),
                "kind": KIND_LABELS[m.kind.value],
                "provider": m.provider,
                "summary": _summary(m.kind.value, m.details),
                "instructions": m.instructions,
                "active": "yes" if m.active else "no",
                "image": media.public_url(media.thumbnail_ref(m.details.get("image_ref"))),
            }
            for m in await payment_methods.list_methods(guild_id)
        ]

    @page_entry
    async def load(self, checked: SellerAccess):
        await self._reload(checked.guild_id)
        self.add_token = uuid.uuid4().hex

    def set_kind(self, kind: str | list[str]):
        self.kind = kind if isinstance(kind, str) else kind[0]
        self.error = ""

    async def upload_qris(self, files: list[rx.UploadFile]):
        try:
            checked = await self._access()
            if not files:
                raise InvalidInput("choose the QRIS image first")
            data = await files[0].read(MAX_BYTES + 1)
            payload = await asyncio.to_thread(qris.payload_from_image, data)
            qris.check_static(payload)
            self.qris_image_ref = await media.keep_image(checked.guild_id, data)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        self.qris_payload = payload
        return self._done("QRIS read and checked: merchant " + dict(qris.parse(payload)).get("59", "?"))

    async def add(self, form: dict):
        if form.get("add_token") != self.add_token:
            return None  # the same form submitted again (a double click): already added
        try:
            checked = await self._access()
            # A field of another kind's form, not on the page, arrives as None: not a value.
            not_details = ("provider", "instructions", "add_token")
            details = {k: str(v) for k, v in form.items() if v is not None and k not in not_details}
            if self.kind == "qris":
                details["payload"] = details.get("payload") or self.qris_payload
                if self.qris_image_ref and details["payload"] == self.qris_payload:
                    details["image_ref"] = self.qris_image_ref
            method = await payment_methods.add_method(
                checked.guild_id,
                PaymentKind(self.kind),
                str(form.get("provider", "")),
                details,
                str(form.get("instructions", "")),
            )
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        self.qris_payload = self.qris_image_ref = ""
        self.form_key += 1
        self.add_token = uuid.uuid4().hex
        await self._reload(checked.guild_id)
        # The chosen QRIS image lives in the browser's upload state, not in the form: without
        # clearing it the file stayed under the drop zone after "QRIS added", inviting a second.
        return [self._done(f"{method.provider} added"), rx.clear_selected_files("qris_image")]

    async def toggle(self, method_id: str):
        try:
            checked = await self._access()
            method = await payment_methods.get_method(checked.guild_id, method_id)
            await payment_methods.update_method(checked.guild_id, method_id, active=not method.active)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        await self._reload(checked.guild_id)
        return None

    @seller_action
    async def move(self, checked: SellerAccess, method_id: str, step: int):
        await payment_methods.move_method(checked.guild_id, method_id, step)
        await self._reload(checked.guild_id)

    async def delete(self, method_id: str):
        try:
            checked = await self._access()
            await payment_methods.delete_method(checked.guild_id, method_id)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        await self._reload(checked.guild_id)
        return self._done("Payment method removed")


def _fields() -> rx.Component:
    return rx.match(
        PaymentMethodsState.kind,
        (
            "bank",
            rx.flex(
                rx.select(payment_methods.BANKS, name="provider", placeholder="Bank", id="method-provider"),
                rx.input(name="account_number", placeholder="Account number", id="account-number"),
                rx.input(name="account_name", placeholder="Account holder", id="account-name"),
                spacing="2",
                wrap="wrap",
            ),
        ),
        (
            "ewallet",
            rx.flex(
                rx.select(
                    payment_methods.EWALLETS, name="provider", placeholder="E-wallet", id="wallet-provider"
                ),
                rx.input(name="number", placeholder="Phone number (08…)", id="wallet-number"),
                # The same id as the bank's holder field: Reflex sends each id's value under the
                # field's name (id "account-name" → "account_name"), so a second id would leave
                # the hidden bank field's empty value in its place and the holder was lost
                # ("a.n. None"). Only one of the two is ever on the page.
                rx.input(name="account_name", placeholder="Account holder", id="account-name"),
                spacing="2",
                wrap="wrap",
            ),
        ),
        (
            "qris",
            rx.vstack(
                drop_zone("qris_image", "Drop your QRIS image here or click"),
                rx.button(
                    "Read QRIS image",
                    on_click=PaymentMethodsState.upload_qris(rx.upload_files(upload_id="qris_image")),
                    type="button",
                ),
                rx.text_area(
                    name="payload",
                    placeholder="…or paste the QRIS text (000201…)",
                    default_value=PaymentMethodsState.qris_payload,
                    key=PaymentMethodsState.qris_payload,
                    width="100%",
                ),
                width="100%",
            ),
        ),
        rx.flex(
            rx.select(payment_methods.NETWORKS, name="network", placeholder="Network"),
            rx.input(name="provider", placeholder="Coin (e.g. USDT)"),
            rx.input(name="address", placeholder="Wallet address", min_width="320px"),
            spacing="2",
            wrap="wrap",
        ),
    )


def _row(m: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(m["kind"]),
        rx.table.cell(rx.text(m["provider"], weight="bold")),
        rx.table.cell(
            rx.hstack(
                rx.cond(m["image"] != "", rx.image(src=m["image"], width="32px")), rx.text(m["summary"])
            )
        ),
        rx.table.cell(m["instructions"]),
        rx.table.cell(
            rx.switch(checked=m["active"] == "yes", on_change=lambda _: PaymentMethodsState.toggle(m["id"]))
        ),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(
                    rx.icon("arrow-up", size=14),
                    size="1",
                    variant="soft",
                    on_click=PaymentMethodsState.move(m["id"], -1),
                ),
                rx.icon_button(
                    rx.icon("arrow-down", size=14),
                    size="1",
                    variant="soft",
                    on_click=PaymentMethodsState.move(m["id"], 1),
                ),
                rx.button(
                    "Remove",
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    on_click=PaymentMethodsState.delete(m["id"]),
                ),
            )
        ),
    )


def payment_methods_page() -> rx.Component:
    return frame(
        "payment-methods",
        "Payment methods",
        rx.card(
            rx.vstack(
                rx.heading("Add a payment method", size="4"),
                rx.segmented_control.root(
                    *[rx.segmented_control.item(label, value=kind) for kind, label in KIND_LABELS.items()],
                    value=PaymentMethodsState.kind,
                    on_change=PaymentMethodsState.set_kind,
                    id="method-kind",
                ),
                rx.form(
                    rx.vstack(
                        _fields(),
                        rx.text_area(
                            name="instructions",
                            placeholder="Instructions for the buyer (optional)",
                            width="100%",
                        ),
                        rx.el.input(
                            type="hidden",
                            name="add_token",
                            id="add_token",
                            value=PaymentMethodsState.add_token,
                        ),
                        rx.button("Add method", type="submit", id="add-method"),
                        width="100%",
                    ),
                    on_submit=PaymentMethodsState.add,
                    key=PaymentMethodsState.form_key,
                    width="100%",
                ),
                width="100%",
            ),
            style=styles.card,
        ),
        data_table(
            ["Kind", "Provider", "Details", "Instructions", "Active", ""],
            PaymentMethodsState.methods,
            _row,
            "methods",
        ),
    )
