"""The audit log (issue 20, item 6): every seller change to the shop or a ticket is written
down with who did it and what changed (before/after), never a secret nor a stock item's text;
a Verify pressed in Discord is logged under the seller who pressed it (real bot, worker and
sandbox)."""

from __future__ import annotations

from datetime import timedelta

from models.audit_entry import AuditEntry
from models.blacklist import BlacklistKind
from models.payment_method import PaymentKind
from models.store import utcnow
from models.ticket import Actor, Ticket, TicketState
from tests.bot_driver import click, messages, open_shop, panel_message, submit
from tests.conftest import GUILD
from tests.helpers import SELLER, buyer, manual_product
from tests.waiting import eventually
from workflows import audit, blacklist, coupons, payment_methods, products, stock, store_settings, tickets

SITI = Actor(kind="seller", user_id=901, name="siti")


def _fields(entry: AuditEntry) -> dict[str, tuple[str | None, str | None]]:
    return {c.field: (c.before, c.after) for c in entry.changes}


async def _log() -> list[AuditEntry]:
    return list(reversed(await audit.entries(GUILD)))  # oldest first, as they happened


async def test_each_kind_of_seller_change_is_logged_with_who_and_what_changed(store, cipher):
    product = await products.create_product(GUILD, name="Netflix 1 Bulan", price=50_000, by=SELLER)
    await products.update_product(GUILD, product.id, price=45_000, description="Akun premium", by=SITI)
    await products.update_product(GUILD, product.id, price=45_000, by=SITI)  # saved untouched: nothing
    await stock.add_items(product, ["rahasia1@mail.test:pw1", "rahasia2@mail.test:pw2"], cipher, by=SITI)
    method = await payment_methods.add_method(
        GUILD, PaymentKind.BANK, "BCA", {"account_number": "1234567890", "account_name": "Toko"}, by=SELLER
    )
    await payment_methods.update_method(GUILD, method.id, instructions="Transfer tepat", by=SELLER)
    await payment_methods.delete_method(GUILD, method.id, by=SELLER)
    await store_settings.update_store(GUILD, tickets={"max_open_tickets_per_buyer": 3}, by=SITI)
    await store_settings.set_payment_secrets(GUILD, moota_secret="rahasia-moota-1234567", by=SITI)
    coupon = await coupons.create_coupon(GUILD, code="HEMAT10", value="10%", max_uses=5, by=SELLER)
    await coupons.deactivate(GUILD, coupon.id, by=SELLER)
    entry = await blacklist.add(GUILD, BlacklistKind.USER, "777", label="eve", reason="penipu", by=SITI)
    await blacklist.remove(GUILD, entry.id, by=SITI)
    await products.delete_product(GUILD, product.id, by=SELLER)

    log = await _log()
    assert [(e.action, e.by.name) for e in log] == [
        ("product.created", "seller"),
        ("product.changed", "siti"),
        ("stock.added", "siti"),
        ("payment_method.added", "seller"),
        ("payment_method.changed", "seller"),
        ("payment_method.removed", "seller"),
        ("settings.changed", "siti"),
        ("settings.secrets_changed", "siti"),
        ("coupon.created", "seller"),
        ("coupon.deactivated", "seller"),
        ("blacklist.added", "siti"),
        ("blacklist.removed", "siti"),
        ("product.removed", "seller"),
    ]
    assert all(e.by.user_id in (900, 901) for e in log)
    changed = log[1]
    assert changed.subject == "Netflix 1 Bulan"
    assert _fields(changed) == {"description": ("", "Akun premium"), "price": ("50000", "45000")}
    assert _fields(log[2]) == {"available": ("0", "2")}
    assert _fields(log[4]) == {"instructions": ("", "Transfer tepat")}
    assert _fields(log[6]) == {"tickets.max_open_tickets_per_buyer": ("1", "3")}
    secret = log[7].changes
    assert [c.field for c in secret] == ["moota_secret"] and secret[0].secret
    assert secret[0].before is None and secret[0].after is None
    assert _fields(log[11])["reason"] == ("penipu", None)
    # Nothing secret anywhere in the log: not the Moota secret, not a stock item's text.
    written = str([e.model_dump() for e in log])
    assert "rahasia-moota" not in written and "rahasia1" not in written and "pw2" not in written


async def test_a_sellers_manual_reject_and_delivery_are_logged_but_an_automatic_match_is_not(store):
    product = await manual_product(units=3)
    first = await tickets.open_ticket(GUILD, product.id, buyer())
    await tickets.report_payment(first.id, buyer(), "BCA a.n. BUDI")
    await tickets.reject_payment(first.id, SITI, "dana belum masuk")
    await tickets.reject_payment(first.id, SELLER, "dua kali")  # already rejected: no second entry
    await tickets.verify(first.id, Actor.system("moota"))  # no one acted: not in the log
    await tickets.deliver_manually(first.id, SELLER, "dikirim lewat WhatsApp")

    log = await _log()
    acts = [(e.action, e.by.name, e.subject) for e in log if e.area == "ticket"]
    assert acts == [
        ("ticket.rejected", "siti", f"#{first.number} Joki Rank"),
        ("ticket.delivered", "seller", f"#{first.number} Joki Rank"),
    ]
    rejected, delivered = (e for e in log if e.area == "ticket")
    assert _fields(rejected) == {"reason": (None, "dana belum masuk")}  # the state stays "open"
    assert _fields(delivered)["state"] == ("paid", "completed")


async def test_the_log_filters_by_who_what_and_dates(store):
    product = await products.create_product(GUILD, name="Spotify", price=20_000, by=SELLER)
    await products.update_product(GUILD, product.id, price=25_000, by=SITI)
    await coupons.create_coupon(GUILD, code="MURAH", value="Rp 5.000", by=SITI)
    assert [e.action for e in await audit.entries(GUILD, who=901)] == ["coupon.created", "product.changed"]
    products_only = await audit.entries(GUILD, area="product")
    assert [e.action for e in products_only] == ["product.changed", "product.created"]
    assert [e.action for e in await audit.entries(GUILD, who=901, area="coupon")] == ["coupon.created"]
    assert await audit.entries(GUILD, area="no-such-area") == []
    now = utcnow()
    assert len(await audit.entries(GUILD, since=now - timedelta(minutes=5))) == 3
    assert await audit.entries(GUILD, until=now - timedelta(minutes=5)) == []
    assert await audit.people(GUILD) == [(900, "seller"), (901, "siti")]


async def test_a_verify_pressed_in_discord_is_logged_under_the_seller_who_pressed_it(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)
    start_worker()
    start_bot()
    panel = await panel_message(sandbox, world)
    budi, seller = world["buyer"], world["seller"]
    click(sandbox, budi, world["shop"].id, panel.id, "buy_btn")

    async def opened():
        return await Ticket.find_one({"guild_id": GUILD, "channel_id": {"$ne": None}})

    ticket = await eventually(opened, "the ticket with its channel")
    submit(sandbox, budi, ticket.channel_id, f"report:{ticket.id}", {"reference": "BCA a.n. BUDI"})

    async def prompt():
        found = await messages(sandbox, ticket.channel_id)
        return [m for m in found if m.author.bot and f"verify:{ticket.id}" in str(m.components)]

    asked = (await eventually(prompt, "the sellers asked to verify"))[0]
    click(sandbox, seller, ticket.channel_id, asked.id, f"verify:{ticket.id}")

    async def logged():
        return await AuditEntry.find_one({"guild_id": GUILD, "action": "ticket.verified"})

    entry = await eventually(logged, "the seller's Verify in the audit log")
    assert entry.by.kind == "seller" and entry.by.user_id == seller.id
    assert _fields(entry)["state"] == ("open", "paid")
    assert (await Ticket.get(ticket.id)).state in (TicketState.PAID, TicketState.COMPLETED)
