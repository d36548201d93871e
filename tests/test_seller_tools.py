"""What the dashboard's pages do, below the browser: manual delivery, settings, payment methods,
analytics figures, ticket search. Each is a workflow function the pages call."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.payment_method import PaymentKind
from models.rating import Rating
from models.store import Store, utcnow
from models.ticket import TicketState
from tests.conftest import GUILD
from tests.helpers import SELLER, buyer, manual_product
from workflows import analytics, payment_methods, payment_secrets, products, store_settings, tickets
from workflows.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from workflows.ticket_search import find_tickets


async def test_a_seller_delivers_a_manual_product_and_the_ticket_completes(store):
    product = await manual_product(2)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    await tickets.verify(ticket.id, SELLER)
    with pytest.raises(NotPermitted):
        await tickets.deliver_manually(ticket.id, buyer(), "sent it")
    result = await tickets.deliver_manually(ticket.id, SELLER, "logo files sent by email")
    assert result.applied and result.ticket.state is TicketState.COMPLETED
    assert (
        result.ticket.delivery.via == "manual" and result.ticket.delivery.note == "logo files sent by email"
    )
    assert result.ticket.history[-1].by == SELLER
    with pytest.raises(TransitionNotAllowed, match="completed"):  # a second click is refused
        await tickets.deliver_manually(ticket.id, SELLER)


async def test_settings_are_checked_as_a_whole_and_saved(store):
    with pytest.raises(InvalidInput, match=r"Cooldown between tickets \(seconds\): at least 0"):
        await store_settings.update_store(GUILD, tickets={"cooldown_s": -5})
    with pytest.raises(InvalidInput, match="Currency: one of: IDR"):
        await store_settings.update_store(GUILD, currency="DOGE")
    assert (await products.get_store(GUILD)).tickets.cooldown_s == 30  # nothing half-saved
    own = store_settings.GuildDirectory(GUILD, frozenset({42}), frozenset(), frozenset())
    await store_settings.update_store(
        GUILD,
        tickets={"cooldown_s": 0, "max_open_tickets_per_buyer": 3},
        directory=own,
        locale="en",
        log_channel_id=42,
    )
    saved = await products.get_store(GUILD)
    assert (saved.tickets.cooldown_s, saved.tickets.max_open_tickets_per_buyer) == (0, 3)
    assert (saved.locale, saved.log_channel_id) == ("en", 42)


async def test_publishing_in_a_new_channel_forgets_the_old_panel_message(store):
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"panel.channel_id": 1, "panel.message_id": 99}}
    )
    own = store_settings.GuildDirectory(GUILD, frozenset({1, 2}), frozenset(), frozenset())
    same = await store_settings.publish_panel(GUILD, 1, own)
    assert same.panel.message_id == 99  # refreshed in place
    moved = await store_settings.publish_panel(GUILD, 2, own)
    assert (moved.panel.channel_id, moved.panel.message_id) == (2, None)  # posted anew there
    with pytest.raises(InvalidInput, match="Panel colour: at most"):
        await store_settings.update_panel(GUILD, color=0x1000000)


@pytest.mark.parametrize(
    ("kind", "details", "problem"),
    [
        (PaymentKind.BANK, {"account_number": "12-ab", "account_name": "Toko"}, "Account number: 5–20"),
        (PaymentKind.BANK, {"account_number": "1234567890"}, "Account holder: required"),
        (PaymentKind.EWALLET, {"number": "12345", "account_name": "Toko"}, "Phone number: an Indonesian"),
        (PaymentKind.QRIS, {"payload": "000201010211" + "6304ABCD"}, "CRC"),
        (PaymentKind.CRYPTO, {"address": "short", "network": "TRC20"}, "Wallet address: 20 to 128"),
    ],
)
async def test_payment_method_fields_are_checked(store, kind, details, problem):
    with pytest.raises(InvalidInput, match=problem):
        await payment_methods.add_method(GUILD, kind, "X", details)
    assert await payment_methods.list_methods(GUILD) == []


async def test_payment_methods_keep_their_order(store):
    bca = await payment_methods.add_method(
        GUILD, "bank", "BCA", {"account_number": "123 456 7890", "account_name": "Toko"}
    )
    gopay = await payment_methods.add_method(
        GUILD, "ewallet", "GoPay", {"number": "0812-3456-7890", "account_name": "Toko"}
    )
    assert bca.details["account_number"] == "1234567890" and gopay.details["number"] == "081234567890"
    await payment_methods.move_method(GUILD, gopay.id, -1)
    assert [m.provider for m in await payment_methods.list_methods(GUILD)] == ["GoPay", "BCA"]


async def test_analytics_counts_the_funnel_revenue_and_ratings(store):
    product = await manual_product(5, price=20_000)
    sold = []
    for n in range(3):
        ticket = await tickets.open_ticket(GUILD, product.id, buyer(600 + n, f"b{n}"))
        sold.append(ticket)
    for ticket in sold[:2]:
        await tickets.verify(ticket.id, SELLER)
        await tickets.deliver_manually(ticket.id, SELLER)
    await Rating(ticket_id=sold[0].id, guild_id=GUILD, product_id=product.id, buyer_id=600, stars=5).insert()
    await Rating(ticket_id=sold[1].id, guild_id=GUILD, product_id=product.id, buyer_id=601, stars=3).insert()

    now = utcnow()
    report = await analytics.report(GUILD, now - timedelta(days=6), now + timedelta(minutes=1))
    assert (report.funnel.opened, report.funnel.paid, report.funnel.completed) == (3, 2, 2)
    revenue = sum(t.amount_due for t in sold[:2])
    assert report.funnel.revenue == revenue and report.revenue_per_day[-1] == (
        now.strftime("%Y-%m-%d"),
        revenue,
    )
    assert len(report.revenue_per_day) == 7
    assert report.top_products == [("Joki Rank", 2, revenue)]
    assert report.rating_counts == [0, 0, 1, 0, 1] and report.rating_average == 4.0
    assert report.avg_verify_s is not None and report.avg_deliver_s is not None


async def test_tickets_are_found_by_state_buyer_and_product(store):
    product = await manual_product(5)
    first = await tickets.open_ticket(GUILD, product.id, buyer(700, "Sari"))
    await tickets.open_ticket(GUILD, product.id, buyer(701, "joko"))
    await tickets.verify(first.id, SELLER)
    assert [t.buyer_name for t in await find_tickets(GUILD, state="paid")] == ["Sari"]
    assert [t.buyer_name for t in await find_tickets(GUILD, buyer="SAR")] == ["Sari"]
    assert [t.buyer_id for t in await find_tickets(GUILD, buyer="701")] == [701]
    assert len(await find_tickets(GUILD, product_id=str(product.id))) == 2
    with pytest.raises(InvalidInput):
        await find_tickets(GUILD, state="stolen")
    assert await find_tickets(GUILD, buyer=".*") == []  # typed text, not a pattern


async def test_payment_secrets_are_set_kept_replaced_and_removed(store, settings, monkeypatch):
    monkeypatch.setattr(payment_secrets, "get_settings", lambda: settings)
    with pytest.raises(InvalidInput, match="16 to 200"):
        await store_settings.set_payment_secrets(GUILD, moota_secret="short")
    with pytest.raises(InvalidInput, match="cannot change"):
        await store_settings.set_payment_secrets(GUILD, paypal_key="x" * 20)
    await store_settings.set_payment_secrets(
        GUILD, moota_secret="m" * 20, tripay_private_key="t" * 20, midtrans_server_key=None
    )
    saved = await products.get_store(GUILD)
    assert await payment_secrets.reveal(saved, "moota_secret") == "m" * 20  # kept encrypted
    assert await payment_secrets.reveal(saved, "tripay_private_key") == "t" * 20
    await store_settings.set_payment_secrets(GUILD, moota_secret=None, tripay_private_key="")
    saved = await products.get_store(GUILD)
    assert await payment_secrets.reveal(saved, "moota_secret") == "m" * 20  # None: kept
    assert saved.gateways.tripay_private_key is None  # "": removed
