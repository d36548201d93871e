"""What the buyer receives: the delivery message, composed from the ticket's reserved items."""

from __future__ import annotations

from models.product import DeliveryMode, Product
from models.store import Store
from models.ticket import Ticket
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


def delivery_nonce(ticket: Ticket) -> str:
    """Discord de-duplicates messages with the same nonce (25 characters at most): a delivery
    re-sent after a crash shows up once."""
    return f"d{ticket.id}"
