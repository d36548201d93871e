"""Buying: stock reserved atomically, limits per buyer, the unique payment amount."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.errors import DuplicateKeyError

from models.buyer import Buyer
from models.stock_item import StockItem, StockItemStatus
from models.store import Store
from models.ticket import Ticket, TicketState
from tests.conftest import GUILD
from tests.helpers import automatic_product, buyer, manual_product
from workflows import stock, tickets
from workflows.errors import CooldownActive, SoldOut, TooManyOpenTickets


async def test_buyer_opens_ticket_with_stock_reserved_and_unique_amount(store, cipher):
    product = await automatic_product(cipher, items=3)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    assert ticket.state is TicketState.OPEN
    assert ticket.number == 1
    assert 1 <= ticket.unique_code <= 999
    assert ticket.amount_due == 50_000 + ticket.unique_code
    assert ticket.next_due_action == "expire_unpaid" and ticket.next_due_at == ticket.expires_at
    assert await stock.counts(product.id) == {"available": 2, "reserved": 1, "delivered": 0}
    assert [h.trigger for h in ticket.history] == ["open"]


async def test_two_hundred_buyers_race_for_ten_keys(store, cipher):
    product = await automatic_product(cipher, items=10)

    async def attempt(user_id: int):
        try:
            return await tickets.open_ticket(GUILD, product.id, buyer(user_id, f"b{user_id}"))
        except SoldOut as refusal:
            return refusal

    results = await asyncio.gather(*(attempt(1000 + i) for i in range(200)))
    opened = [r for r in results if isinstance(r, Ticket)]
    refused = [r for r in results if isinstance(r, SoldOut)]
    assert len(opened) == 10 and len(refused) == 190
    assert all("sold out" in str(r) for r in refused)
    assert await Ticket.count() == 10
    assert await stock.counts(product.id) == {"available": 0, "reserved": 10, "delivered": 0}
    reserved_for = await StockItem.get_pymongo_collection().distinct("ticket_id", {"status": "reserved"})
    assert sorted(reserved_for) == sorted(t.id for t in opened)  # one key per ticket, none shared
    assert len({t.amount_due for t in opened}) == 10
    assert sorted(t.number for t in opened) == list(range(1, 11))
    # The refused buyers hold no slot and are not in cooldown from a purchase they never made.
    assert await Buyer.find({"open_ticket_ids.0": {"$exists": True}}).count() == 10


async def test_two_hundred_buyers_race_for_ten_manual_units(store):
    product = await manual_product(units=10)

    async def attempt(user_id: int):
        try:
            return await tickets.open_ticket(GUILD, product.id, buyer(user_id))
        except SoldOut as refusal:
            return refusal

    results = await asyncio.gather(*(attempt(2000 + i) for i in range(200)))
    assert sum(isinstance(r, Ticket) for r in results) == 10
    assert sum(isinstance(r, SoldOut) for r in results) == 190
    assert await stock.available(product) == 0


async def test_double_click_on_buy_opens_one_ticket(store, cipher):
    product = await automatic_product(cipher, items=5)
    results = await asyncio.gather(
        *(tickets.open_ticket(GUILD, product.id, buyer(77)) for _ in range(5)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Ticket) for r in results) == 1
    assert all(
        isinstance(r, TooManyOpenTickets | CooldownActive) for r in results if not isinstance(r, Ticket)
    )
    assert await stock.counts(product.id) == {"available": 4, "reserved": 1, "delivered": 0}


async def test_buyer_in_cooldown_is_told_how_long_to_wait(store, cipher):
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD},
        {"$set": {"tickets.max_open_tickets_per_buyer": 3, "tickets.cooldown_s": 60}},
    )
    product = await automatic_product(cipher, items=5)
    await tickets.open_ticket(GUILD, product.id, buyer(5))
    with pytest.raises(CooldownActive) as refusal:
        await tickets.open_ticket(GUILD, product.id, buyer(5))
    assert 55 <= refusal.value.retry_after_s <= 60
    assert "wait" in str(refusal.value)
    assert await stock.counts(product.id) == {"available": 4, "reserved": 1, "delivered": 0}


async def test_open_tickets_never_share_an_amount(store, cipher):
    product = await automatic_product(cipher, items=60, price=10_000)
    opened = await asyncio.gather(
        *(tickets.open_ticket(GUILD, product.id, buyer(3000 + i)) for i in range(60))
    )
    assert len({t.amount_due for t in opened}) == 60
    # The database itself refuses a second open ticket with an amount already asked for.
    clone = opened[0].model_copy(update={"id": None, "number": 999})
    with pytest.raises(DuplicateKeyError):
        await Ticket.get_pymongo_collection().insert_one(clone.model_dump(by_alias=True, exclude={"id"}))


async def test_stock_items_are_encrypted_at_rest(store, cipher):
    product = await automatic_product(cipher, items=1)
    raw = await StockItem.get_pymongo_collection().find_one({"product_id": product.id})
    assert b"user0@mail.test" not in raw["secret"]
    assert cipher.open(raw["secret"]) == "user0@mail.test:pass0"
    assert raw["status"] == StockItemStatus.AVAILABLE.value


async def test_a_buyer_whose_ticket_closed_can_buy_again(store, cipher):
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"tickets.cooldown_s": 0}})
    product = await automatic_product(cipher, items=3)
    first = await tickets.open_ticket(GUILD, product.id, buyer(8))
    with pytest.raises(TooManyOpenTickets, match="already have 1 open ticket"):
        await tickets.open_ticket(GUILD, product.id, buyer(8))
    await tickets.cancel(first.id, buyer(8))
    again = await tickets.open_ticket(GUILD, product.id, buyer(8))
    assert again.state is TicketState.OPEN
    held = (await Buyer.find_one({"user_id": 8})).open_ticket_ids
    assert held == [again.id]  # the closed ticket's slot was freed


async def test_a_slot_left_by_a_crash_before_the_ticket_was_written_is_freed(store, cipher):
    from datetime import timedelta

    from bson import ObjectId

    from models.store import utcnow

    product = await automatic_product(cipher, items=2)
    never_written = ObjectId.from_datetime(utcnow() - timedelta(minutes=5))
    await Buyer(guild_id=GUILD, user_id=9, open_ticket_ids=[never_written]).insert()
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(9))
    assert (await Buyer.find_one({"user_id": 9})).open_ticket_ids == [ticket.id]


async def test_a_store_without_cooldown_lets_a_buyer_open_tickets_at_the_same_moment(store, cipher):
    """Cooldown 0 means none: two clicks handled at once, whose handlers read the clock in one
    order and claim the slot in the other, are both let through (up to the open-ticket limit),
    never told "please wait 1 s"."""
    from datetime import timedelta

    from models.store import utcnow

    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"tickets.max_open_tickets_per_buyer": 7, "tickets.cooldown_s": 0}}
    )
    product = await automatic_product(cipher, items=7)
    clicked = utcnow()
    later = await tickets.open_ticket(GUILD, product.id, buyer(9), now=clicked + timedelta(milliseconds=400))
    earlier = await tickets.open_ticket(GUILD, product.id, buyer(9), now=clicked)
    at_once = await asyncio.gather(*(tickets.open_ticket(GUILD, product.id, buyer(9)) for _ in range(5)))

    assert {t.state for t in [later, earlier, *at_once]} == {TicketState.OPEN}
    assert await stock.counts(product.id) == {"available": 0, "reserved": 7, "delivered": 0}
