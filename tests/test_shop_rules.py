"""Prices, ratings and texts as the buyer sees them."""

from __future__ import annotations

import random

import pytest

from models.store import utcnow
from models.ticket import DeliveryRecord
from tests.conftest import GUILD, ROOT
from tests.helpers import SELLER, automatic_product, buyer
from workflows import ratings, tickets
from workflows.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from workflows.i18n import text
from workflows.machine import allowed_triggers, mermaid
from workflows.money import format_amount
from workflows.unique_code import free_codes, pick_code


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (50_000, "IDR", "Rp 50.000"),
        (1_250_137, "IDR", "Rp 1.250.137"),
        (999, "IDR", "Rp 999"),
        (1050, "USD", "$10.50"),
        (-5, "USD", "-$0.05"),
        (123456, "EUR", "€1.234,56"),
    ],
)
def test_prices_are_written_the_local_way(amount, currency, shown):
    assert format_amount(amount, currency) == shown


def test_unique_codes_skip_amounts_already_asked_for():
    taken = [50_000 + c for c in range(1, 999)]  # every code but 999
    assert free_codes(50_000, taken) == [999]
    assert free_codes(50_000, [*taken, 50_999]) == []
    assert pick_code(free_codes(50_000, []), random.Random(1)) in range(1, 1000)


def test_buyer_texts_exist_in_indonesian_and_english():
    assert text("id", "rating.prompt", number=7).startswith("Terima kasih")
    assert text("en", "rating.prompt", number=7).startswith("Thank you")
    assert "#7" in text("en", "rating.prompt", number=7)


def test_the_readme_shows_the_machine_generated_from_the_spec():
    readme = (ROOT / "README.md").read_text()
    assert "```mermaid\n" + mermaid() + "```" in readme
    assert allowed_triggers("open") == [
        "choose_payment_method",
        "report_payment",
        "reject_payment",
        "verify",
        "cancel",
        "expire",
    ]


async def test_buyer_rates_a_delivered_ticket_once(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    with pytest.raises(TransitionNotAllowed):
        await ratings.rate(ticket.id, buyer(), 5)
    await tickets.verify(ticket.id, SELLER)
    await tickets.complete(ticket.id, DeliveryRecord(via="dm", item_count=1, delivered_at=utcnow()))
    with pytest.raises(NotPermitted):
        await ratings.rate(ticket.id, buyer(user_id=999), 1)
    with pytest.raises(InvalidInput, match="1 to 5"):
        await ratings.rate(ticket.id, buyer(), 6)
    rating = await ratings.rate(ticket.id, buyer(), 5, "  mantap, cepat  ")
    assert rating.stars == 5 and rating.comment == "mantap, cepat"
    with pytest.raises(InvalidInput, match="already been rated"):
        await ratings.rate(ticket.id, buyer(), 1)
    assert (await tickets.get_ticket(ticket.id)).rating.stars == 5


def test_modal_labels_fit_discords_45_characters_in_every_language():
    for locale in ("id", "en"):
        for key in ("rating.comment", "payment.reference"):
            assert len(text(locale, key)) <= 45, (locale, key)


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("id", "Tiket #7 sudah diubah orang lain lebih dulu; sekarang sudah dibayar."),
        ("en", "Ticket #7 was changed by someone else first; it is now paid."),
    ],
)
def test_a_click_that_lost_the_race_is_told_where_the_ticket_is_in_the_stores_language(locale, said):
    from bot.replies import lost_race
    from models.ticket import Ticket, TicketState

    ticket = Ticket.model_construct(number=7, state=TicketState.PAID)
    assert lost_race(locale, ticket) == said


def test_any_refusal_the_store_has_words_for_reaches_the_buyer_in_the_stores_language():
    """A refusal raised with a text key (here: a payment method removed meanwhile) is said in
    Indonesian to an Indonesian store's buyer, not in the English it was raised with."""
    from bot.replies import refusal
    from workflows.errors import StoreError

    gone = StoreError("no such payment method in this store", key="payment_methods_not_found")
    assert refusal("id", gone) == (
        "Maaf, gagal: Metode pembayaran ini sudah tidak ada di toko ini (sudah dihapus?). "
        "Tidak ada yang diubah."
    )
    assert "no such payment method" not in refusal("id", gone)
