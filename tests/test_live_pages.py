"""Live dashboard pages: however many are open, the database serves one change stream; a page
refetches once per burst of sales, not once per sale, and not more often than a set gap; and a
sale made while a page was loading still shows."""

from __future__ import annotations

import asyncio
import itertools

from pymongo import AsyncMongoClient

from models.product import DeliveryMode
from models.ticket import Ticket
from tests.conftest import GUILD
from tests.helpers import buyer
from tests.waiting import eventually
from web.live import TicketChanges, shared
from workflows import products, tickets

OTHER = 2_000_000_000_000_002
_buyers = itertools.count(7_000)


class Page:
    """An open dashboard page of a store: how many tickets it shows, refetched on each wake-up;
    `busy` holds it in the middle of a refetch."""

    def __init__(self, live: TicketChanges, guild_id: int) -> None:  # use `load`
        self.guild_id = guild_id
        self.shown = -1
        self.refetches = 0
        self.times: list[float] = []  # when each refetch began (event-loop clock)
        self.open = True
        self.busy = asyncio.Event()
        self.busy.set()
        self.woken: asyncio.Queue[int] = asyncio.Queue()
        self.task = asyncio.create_task(self._watch(live))

    @classmethod
    async def load(cls, live: TicketChanges, guild_id: int) -> Page:
        """A page that has loaded and is watching (its first refetch done)."""
        page = cls(live, guild_id)
        assert await page.next_refetch() == 1
        return page

    async def _watch(self, live: TicketChanges) -> None:
        async for _ in live.changes(self.guild_id, lambda: self.open):
            self.times.append(asyncio.get_running_loop().time())
            await self.busy.wait()
            self.shown = await Ticket.find({"guild_id": self.guild_id}).count()
            self.refetches += 1
            self.woken.put_nowait(self.refetches)

    async def next_refetch(self) -> int:
        return await asyncio.wait_for(self.woken.get(), 10)

    async def close(self) -> None:
        self.open = False
        await asyncio.wait_for(self.task, 10)


async def _sell(guild_id: int, product_id) -> None:  # type: ignore[no-untyped-def]
    await tickets.open_ticket(guild_id, product_id, buyer(next(_buyers)))


async def _two_stores():  # type: ignore[no-untyped-def]
    """A product of ours and one of another store (with its own dashboard pages)."""
    await products.open_store(OTHER, name="Toko Lain")
    manual = {"delivery_mode": DeliveryMode.MANUAL, "stock": 50}
    return [await products.create_product(g, name="Joki", price=9_000, **manual) for g in (GUILD, OTHER)]


async def _shows(page: Page, tickets: int) -> bool:
    return page.shown == tickets


async def _change_streams(settings) -> int:  # type: ignore[no-untyped-def]
    """Change streams the database is serving on the tickets, as an operator sees them."""
    namespace = Ticket.get_pymongo_collection().full_name
    async with AsyncMongoClient(settings.mongodb_url) as client:
        ops = await client.admin.aggregate([{"$currentOp": {"idleCursors": True}}])
        streams = [
            op
            async for op in ops
            if op.get("ns") == namespace
            and "$changeStream" in str(op.get("cursor", {}).get("originatingCommand", op.get("command")))
        ]
        return len(streams)


async def _no_change_streams(settings) -> bool:  # type: ignore[no-untyped-def]
    return await _change_streams(settings) == 0


async def test_many_open_pages_cost_the_database_one_change_stream(store, settings):
    ours, theirs = await _two_stores()
    live = shared()  # what every page of this dashboard process uses
    assert shared() is live
    our_pages = [await Page.load(live, GUILD) for _ in range(3)]
    their_page = await Page.load(live, OTHER)

    await _sell(GUILD, ours.id)
    assert [await p.next_refetch() for p in our_pages] == [2, 2, 2]
    assert [p.shown for p in our_pages] == [1, 1, 1]
    await _sell(OTHER, theirs.id)
    assert await their_page.next_refetch() == 2  # its own store's sale, and not ours
    assert await _change_streams(settings) == 1
    assert live.opened == 1

    for page in [*our_pages, their_page]:
        await page.close()
    # Nobody is looking: the database is left alone (its last wait for changes runs out first).
    await eventually(lambda: _no_change_streams(settings), "the change stream to end")


async def test_a_burst_of_sales_during_a_refetch_costs_one_more_refetch(store):
    ours, theirs = await _two_stores()
    live = TicketChanges(Ticket.get_pymongo_collection())
    page, marker = await Page.load(live, GUILD), await Page.load(live, OTHER)

    page.busy.clear()  # the next refetch takes a while: 20 sales come in meanwhile
    for _ in range(20):
        await _sell(GUILD, ours.id)
    await _sell(OTHER, theirs.id)  # the stream is in order: once this arrives, so did the 20
    assert await marker.next_refetch() == 2
    page.busy.set()
    await eventually(lambda: _shows(page, 20), "the page to show the 20 sales")

    await _sell(OTHER, theirs.id)
    assert await marker.next_refetch() == 3
    assert page.refetches <= 3  # one for the first sale, at most one more for the other 19
    await page.close()
    await marker.close()


async def test_a_sale_made_while_the_page_was_loading_shows(store):
    ours, _ = await _two_stores()
    live = TicketChanges(Ticket.get_pymongo_collection())
    shown_at_load = await Ticket.find({"guild_id": GUILD}).count()
    await _sell(GUILD, ours.id)  # after the page read its tickets, before it watched
    page = await Page.load(live, GUILD)
    assert (shown_at_load, page.shown) == (0, 1)
    await page.close()


async def test_during_a_rush_a_page_refetches_at_most_every_min_gap(store):
    ours, _ = await _two_stores()
    live = TicketChanges(Ticket.get_pymongo_collection(), min_gap_s=0.5)
    page = await Page.load(live, GUILD)
    for _ in range(3):  # right after the page loaded
        await _sell(GUILD, ours.id)
    await eventually(lambda: _shows(page, 3), "the page to show the 3 sales")
    gaps = [later - earlier for earlier, later in itertools.pairwise(page.times)]
    assert gaps and min(gaps) >= 0.5
    await page.close()
