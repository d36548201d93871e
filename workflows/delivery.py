"""What the buyer receives: the delivery message, composed from the ticket's reserved items."""

from __future__ import annotations

from models.product import DeliveryMode, Product
from models.store import Store
from models.ticket import Ticket, TicketState
from workflows import stock, tickets
from workflows.i18n import text
from workflows.stock_cipher import StockCipher


async def compose(ticket: Ticket, store: Store, cipher: StockCipher) -> str:
    """The delivery text: a heading, then one line per stock item (or the seller's text)."""
    heading = text(
        store.locale,
        "delivery.heading",
        store=store.name,
        number=ticket.number,
        product=ticket.product.name,
        quantity=ticket.quantity,
    )
    if ticket.product.delivery_mode is DeliveryMode.MANUAL:
        product = await Product.get(ticket.product.product_id)
        body = text(store.locale, "delivery.manual", text=product.manual_delivery_text if product else "")
        return f"{heading}\n{body}"
    secrets = [cipher.open(sealed) for sealed in ticket.sealed_items]
    lines = [text(store.locale, "delivery.item", index=i, secret=s) for i, s in enumerate(secrets, 1)]
    return "\n".join([heading, *lines])


async def hand_over(ticket: Ticket) -> bool:
    """Take a paid ticket's units off the shelf for good, just before its product is sent.
    False: the ticket stopped waiting for this delivery meanwhile, so nothing may be sent.

    `ticket` is what the delivery read a moment ago. A seller may have cancelled (and refunded)
    since: then the cancel may already have put the units back on sale, and sending them would
    sell a key twice; or another delivery attempt finished first. So after the units are marked
    delivered, the ticket is read again. A cancel that comes after that point finds nothing
    reserved and keeps the units sold (the buyer may have them); one that came before is seen
    here, and nothing is sent. Units marked in the moment between a cancel's write and its
    release stay off the shelf unsent: a key is never sold twice, at worst one is re-added.
    """
    await stock.hand_over(ticket)
    current = await tickets.get_ticket(ticket.id)
    return current.state is TicketState.PAID


def delivery_nonce(ticket: Ticket) -> str:
    """Discord de-duplicates messages with the same nonce (25 characters at most): a delivery
    re-sent after a crash shows up once."""
    return f"d{ticket.id}"
