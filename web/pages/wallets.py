"""/store/<guild>/wallets: the buyers' saldo (issue 21, item 5). A seller sees every buyer's
balance by name (richest first) and searches them; opens one buyer's ledger; adds to or takes
from a balance with a reason the buyer will read on `/saldo` (after confirming); and downloads
the ledger as CSV, one buyer's or the whole store's. Top-ups waiting for their money are listed
too: a seller who sees the transfer in their bank's app credits it here (once, however often
pressed: `topups.verify_by_seller`), which is how a store without a bank-mutation service
credits top-ups at all.

The balances and entries are the ledger's (`workflows.wallet`), read again after every action;
nothing here keeps money in the page's state."""

from __future__ import annotations

import dataclasses

import reflex as rx

from models.wallet import WalletEntry
from web.components.frame import frame
from web.components.widgets import Said, both, confirm, data_table, said
from web.i18n import tx, when
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import money, saldo_statement, topups, wallet, wallet_book
from workflows.errors import InsufficientSaldo

ADD, TAKE = "add", "take"


@dataclasses.dataclass
class WalletRow:
    """One buyer's balance as the list shows it."""

    buyer_id: str = ""
    name: str = ""
    balance: str = ""


@dataclasses.dataclass
class EntryRow:
    """One ledger entry as the seller reads it: what it was in the seller's language."""

    id: str = ""
    at: Said = dataclasses.field(default_factory=Said)
    what: Said = dataclasses.field(default_factory=Said)
    amount: str = ""
    credit: bool = True
    balance_after: str = ""
    by: str = ""


@dataclasses.dataclass
class TopUpRow:
    """A top-up waiting for its money."""

    id: str = ""
    buyer: str = ""
    amount: str = ""  # the exact amount to arrive, kode unik included
    asked: Said = dataclasses.field(default_factory=Said)
    until: Said = dataclasses.field(default_factory=Said)


class WalletsState(SellerState):
    rows: list[WalletRow] = []
    waiting: list[TopUpRow] = []
    query: str = ""
    chosen_id: str = ""
    chosen_name: str = ""
    chosen_balance: str = ""
    entries: list[EntryRow] = []
    # The adjustment being typed: kept as typed, checked when confirmed.
    direction: str = ADD
    amount: str = ""
    reason: str = ""

    def _name(self, buyer_id: int, name: str) -> str:
        return name or self._say("wallets.unnamed", id=buyer_id)

    def _entry_row(self, e: WalletEntry, numbers: dict) -> EntryRow:
        currency = self._currency
        return EntryRow(
            id=str(e.id),
            at=both(lambda lang: when(e.created_at, lang)),
            what=both(lambda lang: saldo_statement.what(e, lang, numbers)),
            amount=saldo_statement.signed_amount(e, currency),
            credit=e.amount > 0,
            balance_after=money.format_amount(e.balance_after, currency),
            by=e.by_name or (self._say("wallets.the_store") if e.by is None else str(e.by)),
        )

    async def _reload(self, guild_id: int) -> None:
        self.waiting = [
            TopUpRow(
                id=str(t.id),
                buyer=t.buyer_name or self._name(t.buyer_id, ""),
                amount=money.format_amount(t.amount_due, t.currency),
                asked=both(lambda lang, t=t: when(t.created_at, lang)),
                until=both(lambda lang, t=t: when(t.expires_at, lang)),
            )
            for t in await topups.open_topups(guild_id)
        ]
        found = await wallet_book.named_wallets(guild_id, self.query)
        self.rows = [
            WalletRow(
                buyer_id=str(w.buyer_id),
                name=self._name(w.buyer_id, w.name),
                balance=money.format_amount(w.balance, self._currency),
            )
            for w in found
        ]
        if self.chosen_id:
            await self._read_ledger(guild_id, int(self.chosen_id))

    async def _read_ledger(self, guild_id: int, buyer_id: int) -> None:
        shown = await saldo_statement.statement_of(guild_id, buyer_id, limit=100)
        names = await wallet_book.buyer_names(guild_id, [buyer_id])
        self.chosen_id = str(buyer_id)
        self.chosen_name = self._name(buyer_id, names.get(buyer_id, ""))
        self.chosen_balance = money.format_amount(shown.balance, self._currency)
        self.entries = [self._entry_row(e, shown.ticket_numbers) for e in shown.entries]

    def _fresh_form(self) -> None:
        self.direction, self.amount, self.reason = ADD, "", ""

    @page_entry
    async def load(self, checked: SellerAccess):
        self.query = self.chosen_id = ""
        self.entries = []
        self._fresh_form()
        await self._reload(checked.guild_id)

    @seller_action
    async def search(self, checked: SellerAccess, form: dict):
        self.query = str(form.get("query") or "").strip()[:100]
        await self._reload(checked.guild_id)

    @seller_action
    async def open_ledger(self, checked: SellerAccess, buyer_id: str):
        if not buyer_id.isdigit():
            return
        self._fresh_form()
        await self._read_ledger(checked.guild_id, int(buyer_id))

    def set_direction(self, value: str | list[str]):
        self.direction = TAKE if value == TAKE else ADD

    def set_amount(self, value: str):
        self.amount = value[:30]

    def set_reason(self, value: str):
        self.reason = value[: wallet_book.REASON_MAX + 1]

    @rx.var
    def pending(self) -> str:
        """The adjustment as the question says it: "+Rp 50.000" / "−Rp 50.000"."""
        try:
            shown = money.format_amount(money.parse_amount(self.amount, self._currency), self._currency)
        except ValueError:
            shown = self.amount
        return f"{'−' if self.direction == TAKE else '+'}{shown}"

    @seller_action
    async def adjust(self, checked: SellerAccess):
        if not self.chosen_id:
            return
        try:
            amount = money.parse_amount(self.amount, self._currency)
        except ValueError:
            raise wallet_book.AdjustmentRefused(
                key="bad_amount", example=money.format_plain(50_000, self._currency)
            ) from None
        buyer_id = int(self.chosen_id)
        signed = -amount if self.direction == TAKE else amount
        try:
            entry = await wallet.adjust(
                checked.guild_id, buyer_id, signed, by=checked.actor, reason=self.reason
            )
        except InsufficientSaldo as short:  # said to the seller about the buyer, not "your saldo"
            raise wallet_book.AdjustmentRefused(
                key="not_enough",
                name=self.chosen_name,
                balance=money.format_amount(short.balance, self._currency),
                amount=money.format_amount(short.amount, self._currency),
            ) from None
        self._fresh_form()
        await self._reload(checked.guild_id)
        return self._done(
            self._say(
                "wallets.adjusted",
                amount=saldo_statement.signed_amount(entry, self._currency),
                name=self.chosen_name,
                balance=money.format_amount(entry.balance_after, self._currency),
            )
        )

    @seller_action
    async def received(self, checked: SellerAccess, topup_id: str):
        """The seller saw this top-up's money arrive: it goes on the buyer's saldo, once."""
        done = await topups.verify_by_seller(checked.guild_id, topup_id, checked.actor)
        await self._reload(checked.guild_id)
        t = done.topup
        return self._done(
            self._say(
                "wallets.topup_credited",
                amount=money.format_amount(t.amount_due, t.currency),
                name=t.buyer_name or self._name(t.buyer_id, ""),
            )
        )

    @seller_action
    async def export(self, checked: SellerAccess, whose: str):
        """The ledger as CSV: `whose` a buyer's id, or "all" for every wallet of the store."""
        buyer_id = int(whose) if whose.isdigit() else None
        entries = await wallet_book.ledger(checked.guild_id, buyer_id)
        names = await wallet_book.buyer_names(checked.guild_id, list({e.buyer_id for e in entries}))
        data = wallet_book.ledger_csv(entries, names)
        filename = f"saldo-{checked.guild_id}-{buyer_id if buyer_id is not None else 'all'}.csv"
        return rx.download(data=data, filename=filename, mime_type="text/csv")


def _labelled(label_key: str, field_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.el.label(tx(label_key), html_for=field_id, font_size="0.875em", font_weight="500"),
        control,
        spacing="1",
    )


def _search() -> rx.Component:
    return rx.form(
        rx.hstack(
            _labelled(
                "wallets.search",
                "wallets-query",
                rx.input(
                    id="wallets-query",
                    name="query",
                    placeholder=tx("wallets.search_hint"),
                    default_value=WalletsState.query,
                ),
            ),
            rx.button(tx("wallets.search_button"), type="submit", id="wallets-search"),
            rx.button(
                tx("wallets.export_all"),
                type="button",
                variant="soft",
                on_click=WalletsState.export("all"),
                id="wallets-export-all",
            ),
            align="end",
            wrap="wrap",
        ),
        on_submit=WalletsState.search,
        width="100%",
    )


def _wallet_row(r: WalletRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r.name, weight="bold")),
        rx.table.cell(r.balance, white_space="nowrap"),
        rx.table.cell(
            rx.button(
                tx("wallets.open"),
                size="1",
                variant="soft",
                on_click=WalletsState.open_ledger(r.buyer_id),
                class_name="open-ledger",
            )
        ),
        custom_attrs={"data-buyer": r.name},
    )


def _topup_row(t: TopUpRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(t.buyer, weight="bold")),
        rx.table.cell(t.amount, white_space="nowrap"),
        rx.table.cell(said(t.asked), white_space="nowrap"),
        rx.table.cell(said(t.until), white_space="nowrap"),
        rx.table.cell(
            confirm(
                rx.button(tx("wallets.received"), size="1", variant="soft", class_name="topup-received"),
                tx("wallets.received_question", amount=t.amount, name=t.buyer),
                tx("wallets.received_detail"),
                rx.button(
                    tx("wallets.received_yes"),
                    on_click=WalletsState.received(t.id),
                    class_name="confirm-received",
                ),
                tx("wallets.keep"),
            )
        ),
        custom_attrs={"data-topup": t.buyer},
    )


def _waiting() -> rx.Component:
    """Top-ups whose money has not been seen yet; shown only when there are some."""
    return rx.cond(
        WalletsState.waiting.length() > 0,
        rx.vstack(
            rx.heading(tx("wallets.waiting_title"), size="4"),
            rx.text(tx("wallets.waiting_intro"), color_scheme="gray", size="2"),
            data_table(
                [tx(f"wallets.column.{c}") for c in ("buyer", "due", "asked", "until", "actions")],
                WalletsState.waiting,
                _topup_row,
                "topups-waiting",
            ),
            width="100%",
            spacing="2",
        ),
    )


def _entry_row(e: EntryRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(said(e.at), white_space="nowrap"),
        rx.table.cell(said(e.what)),
        rx.table.cell(
            rx.text(e.amount, color_scheme=rx.cond(e.credit, "green", "red"), weight="bold"),
            white_space="nowrap",
        ),
        rx.table.cell(e.balance_after, white_space="nowrap"),
        rx.table.cell(e.by),
        custom_attrs={"data-entry": e.id},
    )


def _adjustment() -> rx.Component:
    """Add to or take from the chosen buyer's saldo, with a reason; asks first."""
    return rx.vstack(
        rx.heading(tx("wallets.adjust_title"), size="3"),
        rx.hstack(
            _labelled(
                "wallets.direction",
                "wallets-direction",
                rx.el.select(
                    rx.el.option(tx("wallets.add"), value=ADD),
                    rx.el.option(tx("wallets.take"), value=TAKE),
                    id="wallets-direction",
                    value=WalletsState.direction,
                    on_change=WalletsState.set_direction,
                    style={"padding": "0.35em", "border_radius": "6px", "border": "1px solid var(--gray-7)"},
                ),
            ),
            _labelled(
                "wallets.amount",
                "wallets-amount",
                rx.input(
                    id="wallets-amount",
                    value=WalletsState.amount,
                    on_change=WalletsState.set_amount,
                    placeholder="50.000",
                    input_mode="numeric",
                ),
            ),
            _labelled(
                "wallets.reason",
                "wallets-reason",
                rx.input(
                    id="wallets-reason",
                    value=WalletsState.reason,
                    on_change=WalletsState.set_reason,
                    placeholder=tx("wallets.reason_hint"),
                    min_width="240px",
                ),
            ),
            confirm(
                rx.button(tx("wallets.adjust"), id="wallets-adjust"),
                tx("wallets.adjust_question", amount=WalletsState.pending, name=WalletsState.chosen_name),
                tx("wallets.adjust_detail", reason=WalletsState.reason),
                rx.button(tx("wallets.adjust_yes"), on_click=WalletsState.adjust, id="confirm-adjust"),
                tx("wallets.keep"),
            ),
            align="end",
            wrap="wrap",
        ),
        width="100%",
        spacing="2",
    )


def _ledger() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(
                tx("wallets.ledger_of", name=WalletsState.chosen_name, balance=WalletsState.chosen_balance),
                size="4",
                id="wallets-chosen",
            ),
            rx.button(
                tx("wallets.export_one"),
                size="1",
                variant="soft",
                on_click=WalletsState.export(WalletsState.chosen_id),
                id="wallets-export-one",
            ),
            align="center",
            wrap="wrap",
        ),
        _adjustment(),
        rx.cond(
            WalletsState.entries.length() > 0,
            data_table(
                [tx(f"wallets.column.{c}") for c in ("at", "what", "amount", "balance_after", "by")],
                WalletsState.entries,
                _entry_row,
                "wallet-ledger",
            ),
            rx.text(tx("wallets.no_entries"), color_scheme="gray", id="wallets-no-entries"),
        ),
        width="100%",
        spacing="3",
        padding_top="1em",
        border_top="1px solid var(--gray-5)",
    )


def wallets_page() -> rx.Component:
    return frame(
        "wallets",
        tx("wallets.title"),
        rx.text(tx("wallets.intro"), color_scheme="gray"),
        _search(),
        rx.cond(
            WalletsState.rows.length() > 0,
            data_table(
                [tx(f"wallets.column.{c}") for c in ("buyer", "balance", "actions")],
                WalletsState.rows,
                _wallet_row,
                "wallets",
            ),
            rx.text(tx("wallets.none"), color_scheme="gray", id="wallets-none"),
        ),
        _waiting(),
        rx.cond(WalletsState.chosen_id != "", _ledger()),
    )
