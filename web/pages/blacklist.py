"""/store/<guild>/blacklist: people the store will not sell to, and payers to look at twice.
A seller picks a buyer by name (the store's buyers, from their tickets), or writes a payer name
or an account number seen on payments, with a reason; Buy refuses a blacklisted member
politely, and a payment report matching a payer is flagged in Discord (`workflows.blacklist`)."""

from __future__ import annotations

import dataclasses

import reflex as rx

from models.blacklist import BlacklistKind
from web.components.frame import frame
from web.components.widgets import confirm, data_table
from web.i18n import tx, when
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import blacklist
from workflows.blacklist import BlacklistRefused

KINDS = [kind.value for kind in BlacklistKind]


@dataclasses.dataclass
class EntryRow:
    id: str = ""
    who: str = ""
    kind: str = ""
    reason: str = ""
    added: str = ""


@dataclasses.dataclass
class BuyerChoice:
    id: str = ""
    name: str = ""


class BlacklistState(SellerState):
    rows: list[EntryRow] = []
    buyers: list[BuyerChoice] = []
    kind: str = BlacklistKind.USER.value
    chosen_buyer: str = ""
    form_key: int = 0

    async def _reload(self, guild_id: int) -> None:
        self.rows = [
            EntryRow(
                id=str(e.id),
                who=e.label or e.value,
                kind=self._say(f"blacklist.kind.{e.kind.value}"),
                reason=e.reason or "—",
                added=when(e.created_at, self.lang),
            )
            for e in await blacklist.entries(guild_id)
        ]
        self.buyers = [
            BuyerChoice(id=str(user_id), name=name or self._say("blacklist.unnamed"))
            for user_id, name in await blacklist.known_buyers(guild_id)
        ]

    @page_entry
    async def load(self, checked: SellerAccess):
        self.chosen_buyer = ""
        await self._reload(checked.guild_id)

    def set_kind(self, kind: str | list[str]):
        chosen = kind if isinstance(kind, str) else kind[0]
        self.kind = chosen if chosen in KINDS else BlacklistKind.USER.value

    def choose_buyer(self, user_id: str):
        self.chosen_buyer = user_id

    @seller_action
    async def add(self, checked: SellerAccess, form: dict):
        kind = BlacklistKind(self.kind)
        if kind is BlacklistKind.USER:
            picked = next((b for b in self.buyers if b.id == self.chosen_buyer), None)
            if picked is None:
                raise BlacklistRefused(key="pick_member")
            value, label = picked.id, picked.name
        else:
            value = label = str(form.get("value") or "")
        entry = await blacklist.add(
            checked.guild_id,
            kind,
            value,
            label=label,
            reason=str(form.get("reason") or ""),
            created_by=checked.session.username,
            by=checked.actor,
        )
        self.chosen_buyer = ""
        self.form_key += 1
        await self._reload(checked.guild_id)
        return self._done(self._say("blacklist.added", who=entry.label))

    @seller_action
    async def remove(self, checked: SellerAccess, entry_id: str):
        entry = await blacklist.remove(checked.guild_id, entry_id, by=checked.actor)
        await self._reload(checked.guild_id)
        return self._done(self._say("blacklist.removed", who=entry.label or entry.value))


def _labelled(label_key: str, field_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.el.label(tx(label_key), html_for=field_id, font_size="0.875em", font_weight="500"),
        control,
        spacing="1",
        min_width="200px",
        flex="1",
    )


def _who() -> rx.Component:
    """Who to blacklist: a buyer picked by name, or a payer name / account number typed."""
    return rx.cond(
        BlacklistState.kind == BlacklistKind.USER.value,
        _labelled(
            "blacklist.member",
            "blacklist-member",
            rx.select.root(
                rx.select.trigger(
                    placeholder=tx("blacklist.member_placeholder"), id="blacklist-member", width="100%"
                ),
                rx.select.content(
                    rx.foreach(BlacklistState.buyers, lambda b: rx.select.item(b.name, value=b.id)),
                ),
                value=BlacklistState.chosen_buyer,
                on_change=BlacklistState.choose_buyer,
            ),
        ),
        _labelled(
            "blacklist.value",
            "blacklist-value",
            rx.input(
                name="value",
                id="blacklist-value",
                width="100%",
                placeholder=rx.cond(
                    BlacklistState.kind == BlacklistKind.ACCOUNT.value,
                    tx("blacklist.account_hint"),
                    tx("blacklist.name_hint"),
                ),
            ),
        ),
    )


def _add_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tx("blacklist.new"), size="4"),
                rx.radio_group.root(
                    rx.flex(
                        *[
                            rx.el.label(
                                rx.radio_group.item(value=kind),
                                tx(f"blacklist.choice.{kind}"),
                                display="flex",
                                gap="0.4em",
                                align_items="center",
                            )
                            for kind in KINDS
                        ],
                        spacing="4",
                        wrap="wrap",
                    ),
                    value=BlacklistState.kind,
                    on_change=BlacklistState.set_kind,
                    id="blacklist-kind",
                    name="kind",
                ),
                rx.flex(
                    _who(),
                    _labelled(
                        "blacklist.reason",
                        "blacklist-reason",
                        rx.input(
                            name="reason",
                            id="blacklist-reason",
                            placeholder=tx("blacklist.reason_hint"),
                            width="100%",
                        ),
                    ),
                    spacing="3",
                    wrap="wrap",
                    width="100%",
                ),
                rx.button(tx("blacklist.add"), type="submit", id="add-blacklist"),
                spacing="3",
                width="100%",
            ),
            on_submit=BlacklistState.add,
            reset_on_submit=True,
            key=BlacklistState.form_key,
        ),
        width="100%",
    )


def _row(e: EntryRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(e.who, weight="bold")),
        rx.table.cell(e.kind),
        rx.table.cell(e.reason),
        rx.table.cell(e.added),
        rx.table.cell(
            confirm(
                rx.button(tx("blacklist.remove"), size="1", variant="soft", class_name="remove-blacklist"),
                tx("blacklist.remove_question", who=e.who),
                tx("blacklist.remove_detail"),
                rx.button(
                    tx("blacklist.remove"),
                    color_scheme="red",
                    on_click=BlacklistState.remove(e.id),
                    id="confirm-remove",
                ),
                tx("blacklist.keep"),
            )
        ),
        custom_attrs={"data-entry": e.who},
    )


def blacklist_page() -> rx.Component:
    headers = ["who", "kind", "reason", "added", "actions"]
    return frame(
        "blacklist",
        tx("blacklist.title"),
        rx.text(tx("blacklist.intro"), color_scheme="gray"),
        _add_form(),
        rx.cond(
            BlacklistState.rows.length() > 0,
            data_table(
                [tx(f"blacklist.column.{h}") for h in headers], BlacklistState.rows, _row, "blacklist"
            ),
            rx.text(tx("blacklist.none"), color_scheme="gray", id="no-blacklist"),
        ),
    )
