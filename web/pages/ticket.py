"""/store/<guild>/tickets/<ticket>: one ticket at its own address, live: its story, the payment
report and proof, the delivery, the rating, the transcript; and the seller's actions, through
the same workflow functions the bot calls.

The history is told in the shop's words (workflows/ticket_story.py) with people's names and
times in WIB, never the machine's trigger names; every text is in both dashboard languages, so
the language switch changes the whole page at once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import reflex as rx

from models.ticket import Actor, Ticket
from web import access, live, styles
from web.components.frame import frame
from web.components.widgets import Said, both, said
from web.i18n import say, tx, when
from web.pages.tickets import STATE_COLORS, outcome_label, state_label
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import role_grants, saldo_payments, ticket_story, tickets
from workflows.errors import StoreError, TicketNotFound
from workflows.i18n import text
from workflows.machine import allowed_triggers
from workflows.money import format_amount, format_plain, parse_amount

log = logging.getLogger(__name__)

ACTIONS = ["verify", "reject_payment", "complete", "close", "cancel"]


@dataclass
class Chapter:
    """One line of the ticket's story."""

    at: Said
    says: Said


@dataclass
class TicketView:
    """What the page shows of a ticket ("" where there is nothing to show)."""

    id: str = ""
    number: str = ""
    state: str = ""
    color: str = "gray"
    outcome: str = ""
    reported: bool = False  # "payment reported": only while a seller still has to answer
    buyer: str = ""
    product: str = ""
    amount: str = ""
    unique_code: str = ""
    reference: str = ""
    reported_at: Said = field(default_factory=Said)
    proof: str = ""
    verified: Said = field(default_factory=Said)
    delivery: Said = field(default_factory=Said)
    delivery_note: str = ""
    delivery_problem: Said = field(default_factory=Said)
    rating: str = ""
    transcript: str = ""
    transcript_problem: str = ""
    # Refunds to the buyer's saldo (issue 21): what went back, and what still can ("" for none).
    refunded: str = ""
    refundable: str = ""
    refundable_plain: str = ""  # as the amount box shows it: "50.123"


def _verified(t: Ticket, lang: str) -> str:
    v = t.verification
    if v is None:
        return ""
    at = when(v.at, lang)
    if v.automatic:
        return say(lang, "ticket.verified_auto", at=at)
    return say(lang, "ticket.verified_by", name=v.by.name or text(lang, "story.seller"), at=at)


def _delivered(t: Ticket, lang: str) -> str:
    d = t.delivery
    if d is None:
        return ""
    return say(lang, f"ticket.delivered.{d.via}", count=d.item_count, at=when(d.delivered_at, lang))


def _not_delivered(t: Ticket, lang: str) -> str:
    problem = t.delivery_problem
    if not problem:
        return ""
    # The worker records the problem in English for the logs (workers/actors.py); the seller
    # reads it in the shop's words.
    if "direct messages" in problem:
        said_problem = text(lang, "delivery.problem_dms_closed")
    else:
        said_problem = text(
            lang, "delivery.problem_refused", error=problem.removeprefix("Discord refused the delivery ")
        )
    return say(lang, "ticket.not_delivered", problem=said_problem[:1].upper() + said_problem[1:])


def view(t: Ticket) -> TicketView:
    report, rating = t.payment_report, t.rating
    return TicketView(
        id=str(t.id),
        number=str(t.number),
        state=t.state.value,
        color=STATE_COLORS.get(t.state.value, "gray"),
        outcome=t.outcome.value if t.outcome else "",
        reported=ticket_story.awaiting_verification(t),
        buyer=t.buyer_name or "—",  # the buyer's Discord name, never their id
        product=f"{t.product.name} × {t.quantity}",
        amount=format_amount(t.amount_due, t.currency),
        unique_code=str(t.unique_code),
        reference=report.reference if report else "",
        reported_at=both(lambda lang: when(report.reported_at, lang)) if report else Said(),
        proof=f"/files/tickets/{t.id}/proof" if report and report.proof_ref else "",
        verified=both(lambda lang: _verified(t, lang)),
        delivery=both(lambda lang: _delivered(t, lang)),
        delivery_note=t.delivery.note if t.delivery else "",
        delivery_problem=both(lambda lang: _not_delivered(t, lang)),
        rating=("★" * rating.stars + f" {rating.comment}").strip() if rating else "",
        transcript=f"/files/tickets/{t.id}/transcript" if t.transcript else "",
        transcript_problem=(t.transcript.post_problem or "") if t.transcript else "",
        refunded=format_amount(t.refunded, t.currency) if t.refunded else "",
        refundable=format_amount(left, t.currency) if (left := saldo_payments.refundable(t)) else "",
        refundable_plain=format_plain(left, t.currency) if left else "",
    )


async def role_line(ticket_id: str) -> Said:
    """Where the role the product gives stands (issue 20, item 2); empty without one."""
    grant = await role_grants.for_ticket(ticket_id)
    return both(lambda lang: role_grants.status_text(grant, lang)) if grant else Said()


def story(t: Ticket) -> list[Chapter]:
    """The ticket's history, oldest first, in the shop's words and in both languages."""
    return [
        Chapter(
            at=both(lambda lang, h=h: when(h.at, lang)),
            says=both(lambda lang, h=h: ticket_story.tell_entry(h, t, lang)),
        )
        for h in t.history
    ]


class TicketDetailState(SellerState):
    ticket: TicketView = TicketView()
    timeline: list[Chapter] = []
    actions: list[str] = []
    watching: int = 0
    last_done: str = ""  # "<ticket id>:<action>" this page last did (one success per double click)
    role: Said = Said()  # the role on purchase, read with the ticket (`role_line`)

    def _show(self, t: Ticket) -> None:
        self.ticket = view(t)
        self.timeline = story(t)
        allowed = set(allowed_triggers(t.state))
        self.actions = [a for a in ACTIONS if a in allowed]

    async def _ticket(self, checked: SellerAccess) -> Ticket:
        """The ticket of the page's address, if it is this store's."""
        try:
            ticket = await tickets.get_ticket(self._path_part(3))
        except TicketNotFound:
            raise access.Refused(access.Why.NOT_FOUND) from None
        if ticket.guild_id != checked.guild_id:
            raise access.Refused(access.Why.OTHER_STORE)
        return ticket

    @page_entry
    async def load(self, checked: SellerAccess):
        self.ticket, self.timeline, self.actions = TicketView(), [], []
        try:
            ticket = await self._ticket(checked)
        except access.Refused as refused:
            self.refusal = refused.why
            return None
        self._show(ticket)
        self.role = await role_line(ticket_id=str(ticket.id))
        return TicketDetailState.watch

    async def _act(self, checked: SellerAccess, action: str, reason: str = ""):
        ticket = await self._ticket(checked)
        seller = Actor(kind="seller", user_id=checked.session.user_id, name=checked.session.username)
        if action in ("verify", "reject_payment") and tickets.already_done(ticket, action):
            return self._already(ticket, action)
        if action == "verify":
            result = await tickets.verify(ticket, seller, reason="verified in the dashboard")
        elif action == "reject_payment":
            # The buyer reads the reason, in the store's language.
            default = say(checked.store.locale, "ticket.reject_default")
            result = await tickets.reject_payment(ticket, seller, reason or default)
        elif action == "complete":
            result = await tickets.deliver_manually(ticket, seller, reason)
        elif action == "close":
            result = await tickets.close(ticket, seller, "closed in the dashboard")
        else:
            result = await tickets.cancel(ticket, seller, reason or "cancelled by the seller")
        self._show(result.ticket)
        if not result.applied:
            if tickets.already_done(result.ticket, action):  # lost the race to the same result
                return self._already(result.ticket, action)
            self.error = self._say("ticket.someone_else")
            return rx.toast.error(self.error)
        self.last_done = f"{result.ticket.id}:{action}"
        state = self._say(f"tickets.state.{result.ticket.state.value}")
        return self._done(self._say("ticket.now_state", number=result.ticket.number, state=state))

    def _already(self, ticket: Ticket, action: str):
        """Verify/Reject pressed when the ticket already is as asked: a success, not a red
        error. Said once: a double click in this page adds nothing to the first answer."""
        self._show(ticket)
        if self.last_done == f"{ticket.id}:{action}":
            return None
        self.last_done = f"{ticket.id}:{action}"
        if action == "verify" and ticket.verification is not None:
            v = ticket.verification
            name = text(self.lang, "clicks.automatic_match") if v.automatic else v.by.name or "?"
            return self._done(text(self.lang, "clicks.already_verified", number=ticket.number, name=name))
        return self._done(text(self.lang, "clicks.already_rejected", number=ticket.number))

    @seller_action
    async def verify(self, checked: SellerAccess):
        return await self._act(checked, "verify")

    @seller_action
    async def reject(self, checked: SellerAccess, form: dict):
        return await self._act(checked, "reject_payment", str(form.get("reason", "")))

    @seller_action
    async def deliver(self, checked: SellerAccess, form: dict):
        return await self._act(checked, "complete", str(form.get("note", "")))

    @seller_action
    async def close(self, checked: SellerAccess):
        return await self._act(checked, "close")

    @seller_action
    async def cancel(self, checked: SellerAccess, form: dict):
        return await self._act(checked, "cancel", str(form.get("reason", "")))

    @seller_action
    async def refund(self, checked: SellerAccess, form: dict):
        """Give all or part of what the buyer paid back to their saldo (issue 21, item 4)."""
        ticket = await self._ticket(checked)
        try:
            amount = parse_amount(str(form.get("amount") or ""), ticket.currency)
        except ValueError:
            raise StoreError(
                self._say("ticket.refund.bad_amount", example=format_plain(50_000, ticket.currency))
            ) from None
        seller = Actor(kind="seller", user_id=checked.session.user_id, name=checked.session.username)
        await saldo_payments.refund(ticket, amount, by=seller, reason=str(form.get("reason") or ""))
        self._show(await tickets.get_ticket(ticket.id))
        return self._done(
            self._say(
                "ticket.refund.done",
                amount=format_amount(amount, ticket.currency),
                name=ticket.buyer_name or "—",
                number=ticket.number,
            )
        )

    @rx.event(background=True)
    async def watch(self):
        async with self:
            self.watching += 1
            generation, guild = self.watching, self.store_guild
            ticket_id = self.ticket.id
            token = self.router.session.client_token
        if not guild or not ticket_id:
            return
        try:
            async for _ in live.ticket_changes(int(guild), token):
                fresh = await tickets.get_ticket(ticket_id)
                role = await role_line(ticket_id)
                async with self:
                    if self.watching != generation or self.ticket.id != ticket_id:
                        return
                    self._show(fresh)
                    self.role = role
        except asyncio.CancelledError:
            raise
        except StoreError:
            return  # the ticket is gone
        except Exception:
            log.exception("live ticket view stopped")


def _fact(key: str, value: rx.Var, **props) -> rx.Component:
    return rx.cond(
        value != "",
        rx.flex(
            rx.text(tx(f"ticket.fact.{key}"), weight="bold", min_width="140px"),
            rx.text(value, **props),
            spacing="2",
            wrap="wrap",
        ),
    )


def _reason_form(name: str, placeholder: str, button: rx.Component, handler, form_id: str) -> rx.Component:
    field_id = f"{form_id}-{name}"
    return rx.form(
        rx.flex(
            rx.el.label(tx(placeholder), html_for=field_id, font_size="0.9em"),
            rx.input(name=name, placeholder=tx(placeholder), id=field_id),
            button,
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        on_submit=handler,
        id=form_id,
    )


def _cancel() -> rx.Component:
    """Cancelling asks first (issue 17, 7): nothing happens until the seller confirms, with the
    reason the buyer will read."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(tx("ticket.action.cancel"), color_scheme="red", variant="soft", id="action-cancel")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tx("ticket.cancel.title", number=TicketDetailState.ticket.number)),
            rx.alert_dialog.description(tx("ticket.cancel.consequence")),
            rx.form(
                rx.vstack(
                    rx.el.label(
                        tx("ticket.action.cancel_reason"), html_for="cancel-reason", font_size="0.9em"
                    ),
                    rx.input(name="reason", id="cancel-reason", width="100%"),
                    rx.flex(
                        rx.alert_dialog.cancel(
                            rx.button(tx("ticket.cancel.keep"), variant="soft", id="cancel-keep")
                        ),
                        rx.alert_dialog.action(
                            rx.button(
                                tx("ticket.cancel.confirm"),
                                color_scheme="red",
                                type="submit",
                                id="cancel-confirm",
                            )
                        ),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=TicketDetailState.cancel,
                id="cancel-form",
            ),
        ),
    )


def _refund() -> rx.Component:
    """A refund to the buyer's saldo asks first, with the amount (all that is left, unless the
    seller writes less) and the reason the buyer will read."""
    t = TicketDetailState.ticket
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(tx("ticket.refund.open"), variant="soft", id="action-refund")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tx("ticket.refund.title", number=t.number, name=t.buyer)),
            rx.alert_dialog.description(tx("ticket.refund.consequence", left=t.refundable)),
            rx.form(
                rx.vstack(
                    rx.el.label(tx("ticket.refund.amount"), html_for="refund-amount", font_size="0.9em"),
                    rx.input(
                        name="amount",
                        id="refund-amount",
                        default_value=t.refundable_plain,
                        key=t.refundable_plain,
                        input_mode="numeric",
                        width="100%",
                    ),
                    rx.el.label(tx("ticket.refund.reason"), html_for="refund-reason", font_size="0.9em"),
                    rx.input(name="reason", id="refund-reason", width="100%"),
                    rx.flex(
                        rx.alert_dialog.cancel(
                            rx.button(tx("ticket.refund.keep"), variant="soft", id="refund-keep")
                        ),
                        rx.alert_dialog.action(
                            rx.button(tx("ticket.refund.confirm"), type="submit", id="refund-confirm")
                        ),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=TicketDetailState.refund,
                id="refund-form",
            ),
        ),
    )


def _actions() -> rx.Component:
    acts = TicketDetailState.actions
    return rx.flex(
        rx.cond(
            acts.contains("verify"),
            rx.button(
                tx("ticket.action.verify"),
                color_scheme="green",
                on_click=TicketDetailState.verify,
                id="action-verify",
            ),
        ),
        rx.cond(
            acts.contains("reject_payment"),
            _reason_form(
                "reason",
                "ticket.action.reject_reason",
                rx.button(
                    tx("ticket.action.reject"), color_scheme="orange", type="submit", id="action-reject"
                ),
                TicketDetailState.reject,
                "reject-form",
            ),
        ),
        rx.cond(
            acts.contains("complete"),
            _reason_form(
                "note",
                "ticket.action.deliver_note",
                rx.button(tx("ticket.action.deliver"), type="submit", id="action-deliver"),
                TicketDetailState.deliver,
                "deliver-form",
            ),
        ),
        rx.cond(
            acts.contains("close"),
            rx.button(
                tx("ticket.action.close"), variant="soft", on_click=TicketDetailState.close, id="action-close"
            ),
        ),
        rx.cond(acts.contains("cancel"), _cancel()),
        rx.cond(TicketDetailState.ticket.refundable != "", _refund()),
        spacing="3",
        wrap="wrap",
    )


def ticket_page() -> rx.Component:
    t = TicketDetailState.ticket
    return frame(
        "tickets",
        tx("ticket.title"),
        # Back to the list: the browser's Back keeps the list's filters (they are in its address).
        rx.link(tx("ticket.back"), href=f"/store/{TicketDetailState.store_guild}/tickets", id="back-to-list"),
        rx.flex(
            rx.heading("#", t.number, size="5", id="ticket-number"),
            rx.badge(state_label(t.state), size="3", color_scheme=t.color, id="ticket-state"),
            rx.cond(
                t.outcome != "", rx.badge(outcome_label(t.outcome), color_scheme="gray", id="ticket-outcome")
            ),
            rx.cond(
                t.reported,
                rx.badge(
                    tx("ticket.payment_reported"),
                    color_scheme="orange",
                    variant="outline",
                    id="payment-reported",
                ),
            ),
            spacing="2",
            align="center",
            wrap="wrap",
            custom_attrs={"data-state": t.state},
        ),
        rx.card(
            rx.vstack(
                _fact("buyer", t.buyer, id="ticket-buyer"),
                _fact("product", t.product, id="ticket-product"),
                _fact("amount", t.amount, id="ticket-amount"),
                _fact("unique_code", t.unique_code),
                _fact("reference", t.reference, id="payment-reference"),
                _fact("reported_at", said(t.reported_at), id="reported-at"),
                rx.cond(
                    t.proof != "",
                    rx.link(
                        rx.image(src=t.proof, max_width="280px", width="100%", border_radius="6px"),
                        href=t.proof,
                        is_external=True,
                    ),
                ),
                _fact("verified", said(t.verified), id="verified"),
                _fact("delivered", said(t.delivery), id="delivery"),
                _fact("not_delivered", said(t.delivery_problem), id="delivery-problem", color="red"),
                _fact("note", t.delivery_note),
                _fact("role", said(TicketDetailState.role), id="role-grant"),
                _fact("refunded", t.refunded, id="ticket-refunded"),
                _fact("rating", t.rating, id="rating"),
                _fact("transcript", t.transcript_problem, id="transcript-problem", color="red"),
                rx.cond(
                    t.transcript != "",
                    rx.link(
                        tx("ticket.open_transcript"), href=t.transcript, is_external=True, id="transcript"
                    ),
                ),
                spacing="2",
            ),
            style=styles.card,
        ),
        _actions(),
        rx.heading(tx("ticket.history"), size="4"),
        rx.vstack(
            rx.foreach(
                TicketDetailState.timeline,
                lambda h: rx.flex(
                    rx.text(said(h.at), size="1", color_scheme="gray", min_width="150px"),
                    rx.text(said(h.says), size="2"),
                    spacing="2",
                    wrap="wrap",
                    class_name="chapter",
                ),
            ),
            id="timeline",
        ),
    )
