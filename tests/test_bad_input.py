"""Bad input gets a clear error and writes nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest
from beanie import PydanticObjectId

from models.buyer import Buyer
from models.event import Event
from models.product import Product
from models.stock_item import StockItem
from models.ticket import Ticket
from tests.conftest import GUILD, ROOT
from tests.helpers import SELLER, automatic_product, buyer
from workflows import products, stock, tickets
from workflows.errors import (
    InvalidInput,
    ProductNotFound,
    ProductUnavailable,
    StoreNotFound,
    TicketNotFound,
)


async def _nothing_written() -> dict[str, int]:
    return {
        "tickets": await Ticket.count(),
        "buyers": await Buyer.count(),
        "events": await Event.count(),
        "reserved": await StockItem.find({"status": "reserved"}).count(),
    }


@pytest.mark.parametrize(
    ("price", "message"),
    [
        (-5_000, "Price: more than Rp 0"),
        (0, "Price: more than Rp 0"),
        (10**15, "Price: at most Rp 1.000.000.000.000"),  # the shop's words and money (issue 17)
        (49_999.5, "whole number"),
        ("50000", "whole number"),
        (True, "whole number"),
    ],
)
async def test_seller_cannot_create_a_product_with_a_bad_price(store, price, message):
    with pytest.raises(InvalidInput, match=message):
        await products.create_product(GUILD, name="Spotify", price=price)
    assert await Product.count() == 0


async def test_seller_cannot_set_a_bad_price_on_an_existing_product(store, cipher):
    product = await automatic_product(cipher, items=1)
    with pytest.raises(InvalidInput, match="Price"):
        await products.update_product(GUILD, product.id, price=-1)
    with pytest.raises(InvalidInput, match="cannot change delivery_mode"):
        await products.update_product(GUILD, product.id, delivery_mode="manual")
    assert (await Product.get(product.id)).price == 50_000


async def test_product_needs_a_name_and_a_known_store(store):
    with pytest.raises(InvalidInput, match="Name"):
        await products.create_product(GUILD, name="   ", price=1000)
    with pytest.raises(StoreNotFound):
        await products.create_product(42, name="Steam Wallet", price=1000)
    assert await Product.count() == 0


@pytest.mark.parametrize("quantity", [0, -1, 11, 10**9, 2.5, "3"])
async def test_buyer_cannot_buy_an_absurd_quantity(store, cipher, quantity):
    product = await automatic_product(cipher, items=20)
    before = await _nothing_written()
    with pytest.raises(InvalidInput, match="quantity"):
        await tickets.open_ticket(GUILD, product.id, buyer(), quantity=quantity)
    assert await _nothing_written() == before
    assert await stock.counts(product.id) == {"available": 20, "reserved": 0, "delivered": 0}


# A fixed id no product has (a fresh one per run would name the test differently in each xdist worker).
@pytest.mark.parametrize("product_id", ["6b1176ac0000000000000000", "not-an-id", ""])
async def test_buying_an_unknown_product_is_refused(store, product_id):
    with pytest.raises(ProductNotFound):
        await tickets.open_ticket(GUILD, product_id, buyer())
    assert await _nothing_written() == {"tickets": 0, "buyers": 0, "events": 0, "reserved": 0}


async def test_another_stores_product_cannot_be_bought_here(store, cipher):
    product = await automatic_product(cipher, items=1)
    await products.open_store(GUILD + 1)
    with pytest.raises(ProductNotFound):
        await tickets.open_ticket(GUILD + 1, product.id, buyer())
    assert await stock.counts(product.id) == {"available": 1, "reserved": 0, "delivered": 0}


async def test_an_inactive_product_cannot_be_bought(store, cipher):
    product = await automatic_product(cipher, items=1)
    await products.update_product(GUILD, product.id, active=False)
    with pytest.raises(ProductUnavailable, match="not on sale"):
        await tickets.open_ticket(GUILD, product.id, buyer())
    assert await _nothing_written() == {"tickets": 0, "buyers": 0, "events": 0, "reserved": 0}


async def test_triggers_on_unknown_tickets_are_refused(store):
    with pytest.raises(TicketNotFound):
        await tickets.verify(str(PydanticObjectId()), SELLER)
    with pytest.raises(TicketNotFound):
        await tickets.fire("garbage", "verify", SELLER)


async def test_overlong_stock_items_are_refused_whole(store, cipher):
    product = await products.create_product(GUILD, name="Akun Game", price=1000)
    with pytest.raises(InvalidInput, match="longer than"):
        await stock.add_items(product, ["ok-line", "x" * 5000], cipher)
    assert await StockItem.count() == 0


def test_an_invalid_setting_stops_the_program_naming_the_variable(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "STORE_MONGODB_URL": "http://localhost:27017",
        "STORE_WORKER_TIMEOUT_MS": "soon",
    }
    result = subprocess.run(
        [sys.executable, "-m", "models.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "STORE_MONGODB_URL: Value error, must start with mongodb://" in result.stderr
    assert "STORE_WORKER_TIMEOUT_MS" in result.stderr
    assert "Traceback" not in result.stderr
