"""What the buyer receives: the delivery message, composed from the ticket's reserved items."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from models.product import DeliveryMode, Product
from models.store import Store
from models.ticket import Ticket, TicketState
from workflows import stock, tickets
from workflows.i18n import text
from workflows.message_limits import CONTENT_MAX, split_content
from workflows.stock_cipher import StockCipher

# Up to this many messages a delivery is sent as text; a longer one goes as a .txt file.
# Three messages (6,000 characters) still read as one delivery; beyond that a buyer copying
# keys out of a wall of messages misses some, and every message is one more request against
# Discord's per-channel rate limit. A file keeps every line together and is one request.
MESSAGES_AT_MOST = 3


@dataclass(frozen=True)
class DeliveryMessage:
    """One message of a delivery: its text, its de-dup nonce and, for a long delivery, the
    whole product as a text file (`file`: filename and bytes)."""

    content: str
    nonce: str
    file: tuple[str, bytes] | None = None


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


def delivery_nonce(ticket: Ticket, part: int = 0) -> str:
    """Discord de-duplicates messages with the same nonce (25 characters at most): a delivery
    re-sent after a crash shows up once. Each part of a delivery split over several messages
    has its own, derived from the ticket and the part's position."""
    if part == 0:
        return f"d{ticket.id}"
    return "d" + hashlib.sha256(f"{ticket.id}:{part}".encode()).hexdigest()[:24]


def messages(ticket: Ticket, locale: str, content: str, notice: str = "") -> list[DeliveryMessage]:
    """The delivery `content` (with `notice` above it, e.g. "your DMs are closed") as messages
    within Discord's 2,000 characters (resources/message.mdx, Create Message): split at line
    breaks, else at spaces, into at most MESSAGES_AT_MOST messages; a longer delivery is one
    message saying the product is in the attached .txt file, which holds all of it. The same
    ticket and text always give the same messages and nonces, so a retry duplicates nothing."""
    full = f"{notice}\n{content}" if notice else content
    parts = split_content(full, CONTENT_MAX)
    if len(parts) <= MESSAGES_AT_MOST:
        return [DeliveryMessage(part, delivery_nonce(ticket, i)) for i, part in enumerate(parts)]
    heading = content.split("\n", 1)[0]
    note = text(locale, "limits.delivery_attached", count=ticket.quantity)
    intro = split_content("\n".join(p for p in (notice, heading, note) if p), CONTENT_MAX)[0]
    filename = f"order-{ticket.number}.txt"
    return [DeliveryMessage(intro, delivery_nonce(ticket), (filename, content.encode()))]
