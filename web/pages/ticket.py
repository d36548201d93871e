"""/store/<guild>/tickets/<ticket>: one ticket, live: its timeline, the payment report and proof,
the delivery, the rating, the transcript; and the seller's actions, through the same workflow
functions the bot calls."""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from models.ticket import Actor, Ticket
from web import access, live, styles
from web.components.frame import frame
from web.seller import SellerState
from workflows import ticket_story, tickets
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.machine import allowed_triggers
from workflows.money import format_amount

log = logging.getLogger(__name__)


def _when(at) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _verified(t: Ticket) -> str:
    v = t.verification
    if v is None:
        return ""
    who = "automatically" if v.automatic else "by " + (v.by.name or "a seller")
    return f"{who} at {_when(v.at)}"


class TicketDetailState(SellerState):
    ticket: dict[str, str] = {}
    timeline: list[dict[str, str]] = []
    actions: list[str] = []
    watching: int = 0
    last_done: str = ""  # "<ticket id>:<action>" this page last did (one success per double click)

    def _show(self, t: Ticket) -> None:
        report, delivery, rating = t.payment_report, t.delivery, t.rating
        self.ticket = {
            "id": str(t.id),
            "number": str(t.number),
            "state": t.state.value,
            "outcome": t.outcome.value if t.outcome else "",
            "buyer": t.buyer_name,
            "product": f"{t.product.name} × {t.quantity}",
            "amount": format_amount(t.amount_due, t.currency),
            "unique_code": str(t.unique_code),
            "reference": report.reference if report else "",
            "reported_at": _when(report.reported_at) if report else "",
            "proof": f"/files/tickets/{t.id}/proof" if report and report.proof_ref else "",
            "verified": _verified(t),
            "delivery": f"by {delivery.via}, {delivery.item_count} item(s) at {_when(delivery.delivered_at)}"
            if delivery
            else "",
            "delivery_note": delivery.note if delivery else "",
            "delivery_problem": f"{t.delivery_problem}. Deliver it yourself below, or cancel and refund."
            if t.delivery_problem
            else "",
            "rating": ("★" * rating.stars + f" {rating.comment}").strip() if rating else "",
            "transcript": f"/files/tickets/{t.id}/transcript" if t.transcript else "",
            "transcript_problem": (t.transcript.post_problem or "") if t.transcript else "",
        }
        # The history in the shop's words (workflows/ticket_story.py), never trigger names.
        self.timeline = [{"at": c.at, "says": c.says} for c in ticket_story.tell(t, self.lang)]
        allowed = set(allowed_triggers(t.state))
        self.actions = [
            a for a in ["verify", "reject_payment", "complete", "close", "cancel"] if a in allowed
        ]

    async def _ticket(self) -> tuple[access.SellerAccess, Ticket]:
        checked = await self._access()
        ticket = await tickets.get_ticket(self._path_part(3))
        if ticket.guild_id != checked.guild_id:
            raise access.Refused(access.Why.OTHER_STORE)
        return checked, ticket

    async def load(self):
        checked = await self._enter()
        if not isinstance(checked, access.SellerAccess):
            return checked
        try:
            _, ticket = await self._ticket()
        except (access.Refused, StoreError) as error:
            self.refusal = error.why if isinstance(error, access.Refused) else access.Why.NOT_FOUND
            return None
        self._show(ticket)
        return TicketDetailState.watch

    def _seller(self, checked: access.SellerAccess) -> Actor:
        return Actor(kind="seller", user_id=checked.session.user_id, name=checked.session.username)

    async def _act(self, action: str, reason: str = ""):
        try:
            checked, ticket = await self._ticket()
            seller = self._seller(checked)
            if action in ("verify", "reject_payment") and tickets.already_done(ticket, action):
                return self._already(ticket, action, checked.store.locale)
            if action == "verify":
                result = await tickets.verify(ticket, seller, reason="verified in the dashboard")
            elif action == "reject_payment":
                result = await tickets.reject_payment(ticket, seller, reason or "payment not found")
            elif action == "complete":
                result = await tickets.deliver_manually(ticket, seller, reason)
            elif action == "close":
                result = await tickets.close(ticket, seller, "closed in the dashboard")
            else:
                result = await tickets.cancel(ticket, seller, reason or "cancelled by the seller")
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        self._show(result.ticket)
        if not result.applied:
            if tickets.already_done(result.ticket, action):  # lost the race to the same result
                return self._already(result.ticket, action, checked.store.locale)
            return self._failed(StoreError(result.message or "someone else acted on this ticket first"))
        self.last_done = f"{result.ticket.id}:{action}"
        return self._done(f"Ticket #{result.ticket.number} is now {result.ticket.state.value}")

    def _already(self, ticket: Ticket, action: str, locale: str):
        """Verify/Reject pressed when the ticket already is as asked: a success, not a red
        error. Said once: a double click in this page adds nothing to the first answer."""
        self._show(ticket)
        if self.last_done == f"{ticket.id}:{action}":
            return None
        self.last_done = f"{ticket.id}:{action}"
        if action == "verify" and ticket.verification is not None:
            v = ticket.verification
            name = text(locale, "clicks.automatic_match") if v.automatic else v.by.name or "?"
            return self._done(text(locale, "clicks.already_verified", number=ticket.number, name=name))
        return self._done(text(locale, "clicks.already_rejected", number=ticket.number))

    async def verify(self):
        return await self._act("verify")

    async def reject(self, form: dict):
        return await self._act("reject_payment", str(form.get("reason", "")))

    async def deliver(self, form: dict):
        return await self._act("complete", str(form.get("note", "")))

    async def close(self):
        return await self._act("close")

    async def cancel(self, form: dict):
        return await self._act("cancel", str(form.get("reason", "")))

    @rx.event(background=True)
    async def watch(self):
        async with self:
            self.watching += 1
            generation, guild = self.watching, self.store_guild
            ticket_id = self.ticket.get("id", "")
            token = self.router.session.client_token
        if not guild or not ticket_id:
            return
        try:
            async for _ in live.ticket_changes(int(guild), token):
                fresh = await tickets.get_ticket(ticket_id)
                async with self:
                    if self.watching != generation or self.ticket.get("id") != ticket_id:
                        return
                    self._show(fresh)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live ticket view stopped")


def _fact(label: str, value: rx.Var, **props) -> rx.Component:
    return rx.cond(
        value != "", rx.hstack(rx.text(label, weight="bold", min_width="140px"), rx.text(value, **props))
    )


def _actions() -> rx.Component:
    acts = TicketDetailState.actions
    return rx.flex(
        rx.cond(
            acts.contains("verify"),
            rx.button(
                "Verify payment", color_scheme="green", on_click=TicketDetailState.verify, id="action-verify"
            ),
        ),
        rx.cond(
            acts.contains("reject_payment"),
            rx.form(
                rx.hstack(
                    rx.input(name="reason", placeholder="Why (shown to the buyer)"),
                    rx.button("Reject payment", color_scheme="orange", type="submit", id="action-reject"),
                ),
                on_submit=TicketDetailState.reject,
            ),
        ),
        rx.cond(
            acts.contains("complete"),
            rx.form(
                rx.hstack(
                    rx.input(name="note", placeholder="What you delivered"),
                    rx.button("Deliver manually", type="submit", id="action-deliver"),
                ),
                on_submit=TicketDetailState.deliver,
            ),
        ),
        rx.cond(
            acts.contains("close"),
            rx.button("Close", variant="soft", on_click=TicketDetailState.close, id="action-close"),
        ),
        rx.cond(
            acts.contains("cancel"),
            rx.form(
                rx.hstack(
                    rx.input(name="reason", placeholder="Reason"),
                    rx.button(
                        "Cancel ticket", color_scheme="red", variant="soft", type="submit", id="action-cancel"
                    ),
                ),
                on_submit=TicketDetailState.cancel,
            ),
        ),
        spacing="3",
        wrap="wrap",
    )


def ticket_page() -> rx.Component:
    t = TicketDetailState.ticket
    return frame(
        "tickets",
        "Ticket",
        rx.hstack(
            rx.heading("#", t["number"], size="5"),
            rx.badge(t["state"], size="3", id="ticket-state"),
            rx.cond(t["outcome"] != "", rx.badge(t["outcome"], color_scheme="gray")),
        ),
        rx.card(
            rx.vstack(
                _fact("Buyer", t["buyer"], id="ticket-buyer"),
                _fact("Product", t["product"]),
                _fact("Amount due", t["amount"]),
                _fact("Unique code", t["unique_code"]),
                _fact("Transfer reference", t["reference"], id="payment-reference"),
                _fact("Reported at", t["reported_at"]),
                rx.cond(
                    t["proof"] != "",
                    rx.link(
                        rx.image(src=t["proof"], max_width="280px", border_radius="6px"),
                        href=t["proof"],
                        is_external=True,
                    ),
                ),
                _fact("Verified", t["verified"]),
                _fact("Delivered", t["delivery"], id="delivery"),
                _fact("Not delivered", t["delivery_problem"], id="delivery-problem", color="red"),
                _fact("Seller's note", t["delivery_note"]),
                _fact("Rating", t["rating"], id="rating"),
                _fact("Transcript", t["transcript_problem"], id="transcript-problem", color="red"),
                rx.cond(
                    t["transcript"] != "",
                    rx.link(
                        "Open the archived transcript",
                        href=t["transcript"],
                        is_external=True,
                        id="transcript",
                    ),
                ),
                spacing="2",
            ),
            style=styles.card,
        ),
        _actions(),
        rx.heading("Timeline", size="4"),
        rx.vstack(
            rx.foreach(
                TicketDetailState.timeline,
                lambda h: rx.hstack(
                    rx.text(h["at"], size="1", color_scheme="gray", min_width="150px"),
                    rx.text(h["says"], size="2"),
                    wrap="wrap",
                ),
            ),
            id="timeline",
        ),
    )
