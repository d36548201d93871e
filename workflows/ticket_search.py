"""Finding a store's tickets for the dashboard: by state, product, buyer and dates."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId

from models.ticket import Ticket, TicketState
from workflows.errors import InvalidInput

MAX_RESULTS = 200


async def find_tickets(
    guild_id: int,
    *,
    state: str = "",
    product_id: str = "",
    buyer: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[Ticket]:
    """Newest first. `buyer` matches a Discord user id exactly or a name case-insensitively."""
    query: dict[str, Any] = {"guild_id": guild_id}
    if state:
        try:
            query["state"] = TicketState(state).value
        except ValueError:
            raise InvalidInput(f"state: one of {', '.join(s.value for s in TicketState)}") from None
    if product_id:
        try:
            query["product.product_id"] = PydanticObjectId(product_id)
        except Exception:
            raise InvalidInput("product: no such product") from None
    buyer = buyer.strip()
    if buyer:
        if buyer.isdigit():
            query["buyer_id"] = int(buyer)
        else:
            query["buyer_name"] = {"$regex": re.escape(buyer[:100]), "$options": "i"}
    if since or until:
        query["created_at"] = {
            **({"$gte": since} if since else {}),
            **({"$lt": until} if until else {}),
        }
    return await Ticket.find(query).sort("-created_at").limit(min(limit, MAX_RESULTS)).to_list()
