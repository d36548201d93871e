"""Small builders shared by the tests, in the shop's words."""

from __future__ import annotations

from models.product import DeliveryMode, Product
from models.ticket import Actor
from tests.conftest import GUILD
from workflows import products, stock
from workflows.stock_cipher import StockCipher

SELLER = Actor(kind="seller", user_id=900, name="seller")


def buyer(user_id: int = 501, name: str = "budi") -> Actor:
    return Actor(kind="buyer", user_id=user_id, name=name)


async def automatic_product(
    cipher: StockCipher, items: int, price: int = 50_000, name: str = "Netflix 1 Bulan"
) -> Product:
    product = await products.create_product(GUILD, name=name, price=price)
    await stock.add_items(product, [f"user{i}@mail.test:pass{i}" for i in range(items)], cipher)
    return product


async def manual_product(units: int, price: int = 25_000, name: str = "Joki Rank") -> Product:
    return await products.create_product(
        GUILD,
        name=name,
        price=price,
        delivery_mode=DeliveryMode.MANUAL,
        stock=units,
        manual_delivery_text="Your booster will contact you within 1 hour.",
    )
