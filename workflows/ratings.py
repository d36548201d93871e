"""Ratings: the buyer's 1–5 stars after a completed purchase, once per ticket."""

from __future__ import annotations

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from models.rating import Rating
from models.store import utcnow
from models.ticket import Actor, TicketRating, TicketState
from workflows.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from workflows.tickets import get_ticket


def parse_stars(raw: str) -> int:
    """A star count as a person or a client sent it: a whole number 1 to 5 ("5", not "5.5",
    "abc" or "٥"), else InvalidInput."""
    raw = (raw or "").strip()
    if not (len(raw) == 1 and raw in "12345"):
        raise InvalidInput("stars: give a whole number from 1 to 5")
    return int(raw)


async def rate(ticket_id: PydanticObjectId | str, by: Actor, stars: int, comment: str = "") -> Rating:
    """Record the buyer's rating of a completed (or closed-after-completion) ticket."""
    ticket = await get_ticket(ticket_id)
    if by.kind != "buyer" or by.user_id != ticket.buyer_id:
        raise NotPermitted(f"only the buyer of ticket #{ticket.number} can rate it")
    if ticket.delivery is None or ticket.state not in (TicketState.COMPLETED, TicketState.CLOSED):
        raise TransitionNotAllowed("a ticket can be rated once its product has been delivered")
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput("stars: give 1 to 5 stars")
    comment = (comment or "").strip()[:1000]
    now = utcnow()
    rating = Rating(
        ticket_id=ticket.id,
        guild_id=ticket.guild_id,
        product_id=ticket.product.product_id,
        buyer_id=ticket.buyer_id,
        stars=stars,
        comment=comment,
        created_at=now,
    )
    try:
        await rating.insert()
    except DuplicateKeyError:
        raise InvalidInput(f"ticket #{ticket.number} has already been rated") from None
    snapshot = TicketRating(stars=stars, comment=comment, at=now)
    await ticket.get_pymongo_collection().update_one(
        {"_id": ticket.id}, {"$set": {"rating": snapshot.model_dump()}}
    )
    return rating
