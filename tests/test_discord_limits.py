"""The store keeps working within Discord's limits: transcripts that fit the upload limit,
deliveries longer than one message, emoji Discord accepts, a panel within the embed limits
with any catalogue, and an archive that carries on when the transcript channel refuses it.
Through real bot and worker processes against the (strict) Discord sandbox."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from starlette.applications import Starlette

from discord_sandbox.state import VIEW_CHANNEL, Attachment, Overwrite
from models.product import DeliveryMode, Product
from models.store import PanelSettings, Store, utcnow
from models.ticket import Ticket
from models.ticket_message import TicketMessage
from tests.bot_driver import click, messages, on_sandbox, open_shop, panel_message
from tests.conftest import GUILD
from tests.helpers import SELLER, buyer
from tests.waiting import eventually
from web import access, discord_api, media, oauth
from web import session as sessions
from workflows import delivery, panel, products, stock, store_settings, tickets
from workflows.discord_permissions import REQUIRED
from workflows.emoji import as_component
from workflows.errors import InvalidInput
from workflows.message_limits import (
    CONTENT_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELDS_MAX,
    EMBED_TITLE_MAX,
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    UPLOAD_MAX_BYTES,
    embed_size,
)
from workflows.transcript import render_html

CLIENT_ID, CLIENT_SECRET = "900000000000000078", "client-secret"
DASHBOARD = "http://dashboard.test"


# --- helpers ------------------------------------------------------------------------------


def _dms(sandbox, user):
    """What the bot sent `user` by DM, oldest first."""
    s = sandbox.server
    return on_sandbox(
        sandbox,
        lambda: sorted(
            (
                m
                for c in s.channels.values()
                if c.type == 1 and c.recipient_id == user.id
                for m in s.messages.get(c.id, {}).values()
                if m.author.bot
            ),
            key=lambda m: m.id,
        ),
    )


def _delivery(found, ticket):
    """The messages of the ticket's delivery (each part carries its own nonce), oldest first."""
    nonces = {delivery.delivery_nonce(ticket, part) for part in range(10)}
    return [m for m in found if m.nonce in nonces]


async def _delivered(ticket_id):
    return (await Ticket.get(ticket_id)).delivery


async def _archived(ticket_id):
    found = await Ticket.get(ticket_id)
    return found if found.transcript and found.next_due_at is None else None


def _channel(sandbox, world, name, overwrites=None):
    return on_sandbox(
        sandbox, lambda: sandbox.server.add_channel(world["guild"], name, overwrites=overwrites or [])
    )


async def _set_store(**changes):
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": changes})


def _photo(megabytes: float) -> bytes:
    """A receipt photo of about `megabytes` MB (noise does not compress)."""
    side = int((megabytes * 1_000_000 / 3) ** 0.5)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
async def dashboard(settings, sandbox, world, monkeypatch):
    """The dashboard's login and file routes in-process, logged in against the sandbox."""
    settings.discord_client_id = CLIENT_ID
    settings.discord_client_secret = settings.discord_client_secret.__class__(CLIENT_SECRET)
    settings.public_url = DASHBOARD
    for module in (oauth, discord_api, sessions, access, media):
        monkeypatch.setattr(module, "get_settings", lambda: settings)
    sandbox.call(sandbox.server.add_oauth_app, CLIENT_ID, CLIENT_SECRET, f"{DASHBOARD}/auth/callback")
    app = Starlette(routes=oauth.ROUTES + media.ROUTES)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=DASHBOARD) as client:
        yield client


async def _cookie(dashboard: httpx.AsyncClient, user_id: int) -> str:
    start = await dashboard.get("/auth/login")
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(start.headers["location"] + f"&login_as={user_id}")
    done = await dashboard.get(consent.headers["location"].removeprefix(DASHBOARD))
    dashboard.cookies.clear()  # each request below says who asks
    return f"{sessions.COOKIE}={done.cookies[sessions.COOKIE]}"


# --- 1. transcripts that fit ---------------------------------------------------------------


async def test_a_ticket_with_an_8_mb_receipt_photo_archives_and_the_photo_is_reachable_on_the_dashboard(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker, start_bot, dashboard
):
    await open_shop(sandbox, world, store, settings, cipher)
    transcripts = _channel(sandbox, world, "transcripts")
    await _set_store(transcript_channel_id=transcripts.id)
    start_worker(env={"STORE_PUBLIC_URL": DASHBOARD})  # the dashboard the transcript links to
    start_bot()
    shown = await panel_message(sandbox, world)
    click(sandbox, world["buyer"], world["shop"].id, shown.id, "buy_btn")

    async def opened():
        return await Ticket.find_one({"channel_id": {"$ne": None}})

    ticket = await eventually(opened, "the ticket channel", within=30)
    photo = _photo(8)
    assert 7_500_000 < len(photo) < UPLOAD_MAX_BYTES
    channel = on_sandbox(sandbox, lambda: sandbox.server.channels[ticket.channel_id])
    on_sandbox(
        sandbox,
        lambda: sandbox.server.user_sends(
            world["buyer"],
            channel,
            "ini bukti transfernya",
            [Attachment(7_000_002, "struk.png", "image/png", photo)],
        ),
    )

    async def copied():
        return await TicketMessage.find_one(
            {"ticket_id": ticket.id, "attachments": {"$elemMatch": {"stored_path": {"$ne": None}}}}
        )

    await eventually(copied, "the photo copied into the store's storage", within=30)
    await tickets.cancel(ticket.id, SELLER, "pembeli minta batal")

    closed = await eventually(lambda: _archived(ticket.id), "the archived transcript", within=30)
    posted = [m for m in await messages(sandbox, transcripts.id) if m.attachments]
    page = posted[0].attachments[0]
    assert page.filename == f"ticket-{ticket.number}.html" and len(page.data) < 1024 * 1024
    assert closed.transcript.post_problem is None
    copy = [m for m in _dms(sandbox, world["buyer"]) if m.attachments]
    assert copy and copy[0].attachments[0].data == page.data
    assert ticket.channel_id not in on_sandbox(sandbox, lambda: set(sandbox.server.channels))

    html = page.data.decode()
    assert "ini bukti transfernya" in html and "struk.png" in html and "base64" not in html
    link = re.search(r'href="(http://dashboard\.test/files/tickets/[^"]+/attachments/[^"]+)"', html)[1]
    seller = await _cookie(dashboard, world["seller"].id)
    served = await dashboard.get(link.removeprefix(DASHBOARD), headers={"cookie": seller})
    assert served.status_code == 200 and served.content == photo
    assert served.headers["content-type"] == "image/png"
    # The buyer's private photo is only for the store's sellers.
    assert (await dashboard.get(link.removeprefix(DASHBOARD))).status_code == 404
    stranger = await _cookie(dashboard, world["stranger"].id)
    assert (
        await dashboard.get(link.removeprefix(DASHBOARD), headers={"cookie": stranger})
    ).status_code == 404


async def test_a_transcript_too_big_for_discord_is_posted_shortened_with_a_link_to_the_full_one(store):
    ticket = await _open(await _manual_product())
    chat = [
        TicketMessage(
            ticket_id=ticket.id,
            guild_id=GUILD,
            channel_id=1,
            message_id=n + 1,
            author_id=501,
            author_name="budi",
            content=f"pesan {n} " + "x" * 1_900,
            created_at=utcnow() + timedelta(seconds=n),
        )
        for n in range(400)
    ]
    full = render_html(store, ticket, chat, DASHBOARD)
    short = render_html(store, ticket, chat, DASHBOARD, max_bytes=200_000)
    assert len(full.encode()) > 700_000 and len(short.encode()) <= 200_000
    assert "pesan 0 " in short and "pesan 399 " in short and "pesan 200 " not in short  # both ends kept
    left_out = int(re.search(r"(\d+) pesan tidak ada di salinan ini", short)[1])
    assert left_out == sum(f"pesan {n} " not in short for n in range(400)) > 0
    assert f'href="{DASHBOARD}/files/tickets/{ticket.id}/transcript"' in short
    assert render_html(store, ticket, chat[:3], DASHBOARD, max_bytes=200_000) == render_html(
        store, ticket, chat[:3], DASHBOARD
    )


async def test_a_chat_too_big_for_discord_still_archives_with_a_shortened_transcript(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker
):
    await open_shop(sandbox, world, store, settings, cipher)
    transcripts = _channel(sandbox, world, "transcripts")
    await _set_store(transcript_channel_id=transcripts.id)
    start_worker(env={"STORE_PUBLIC_URL": DASHBOARD})
    ticket = await _open(await _manual_product(), buyer_id=world["buyer"].id)
    room = _channel(sandbox, world, "ticket-budi").id
    await tickets.attach_channel(ticket.id, room)
    start = utcnow()
    await TicketMessage.get_pymongo_collection().insert_many(
        [
            TicketMessage(
                ticket_id=ticket.id,
                guild_id=GUILD,
                channel_id=room,
                message_id=n + 1,
                author_id=world["buyer"].id,
                author_name="budi",
                content=f"pesan {n} " + "x" * 1_980,
                created_at=start + timedelta(milliseconds=n),
            ).model_dump(exclude={"id"})
            for n in range(5_500)
        ]
    )
    await tickets.cancel(ticket.id, SELLER, "obrolan terlalu panjang")

    closed = await eventually(lambda: _archived(ticket.id), "the ticket archived", within=60)
    kept = open(closed.transcript.path, encoding="utf-8").read()  # noqa: ASYNC230
    assert closed.transcript.size > UPLOAD_MAX_BYTES and "pesan 2750 " in kept  # the store keeps it all
    posted = next(m for m in await messages(sandbox, transcripts.id) if m.attachments).attachments[0]
    assert len(posted.data) < UPLOAD_MAX_BYTES
    html = posted.data.decode()
    assert "pesan 0 " in html and "pesan 5499 " in html and "pesan tidak ada di salinan ini" in html
    assert f"{DASHBOARD}/files/tickets/{ticket.id}/transcript" in html
    copy = [m for m in _dms(sandbox, world["buyer"]) if m.attachments]
    assert copy and copy[0].attachments[0].data == posted.data
    assert closed.transcript.post_problem is None and room not in on_sandbox(
        sandbox, lambda: set(sandbox.server.channels)
    )


async def _manual_product() -> Product:
    return await products.create_product(
        GUILD, name="Joki Rank", price=50_000, delivery_mode=DeliveryMode.MANUAL, stock=5
    )


async def _open(product: Product, quantity: int = 1, buyer_id: int = 501) -> Ticket:
    return await tickets.open_ticket(GUILD, product.id, buyer(buyer_id, "budi"), quantity=quantity)


# --- 2. long deliveries --------------------------------------------------------------------


async def test_a_manual_delivery_of_nearly_2000_characters_reaches_the_buyer_in_full(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker
):
    await open_shop(sandbox, world, store, settings, cipher)
    words = [f"langkah-{n}" for n in range(400)]
    instructions = " ".join(words)[:1_990].rsplit(" ", 1)[0]
    product = await products.create_product(
        GUILD,
        name="Joki Rank Mythic",
        price=75_000,
        delivery_mode=DeliveryMode.MANUAL,
        stock=1,
        manual_delivery_text=instructions,
    )
    start_worker()
    ticket = await _open(product, buyer_id=world["buyer"].id)
    await tickets.verify(ticket.id, SELLER)
    await eventually(lambda: _delivered(ticket.id), "the delivery", within=30)

    received = _delivery(_dms(sandbox, world["buyer"]), ticket)
    assert len(received) == 2 and all(len(m.content) <= CONTENT_MAX for m in received)
    assert f"#{ticket.number}" in received[0].content
    said = " ".join(m.content for m in received).split()
    sent = instructions.split()
    start = said.index(sent[0])
    assert said[start : start + len(sent)] == sent  # every word, in order, none cut


async def test_a_long_stock_item_with_the_dms_closed_notice_reaches_the_ticket_in_full(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker
):
    await open_shop(sandbox, world, store, settings, cipher)
    on_sandbox(sandbox, lambda: setattr(sandbox.server.users[world["buyer"].id], "dms_open", False))
    secret = "".join(f"{n:04d}" for n in range(450))  # 1,800 characters, no space to cut at
    name = "Lisensi Panjang Windows 11 Pro untuk Satu Perangkat, Garansi Seumur Hidup dan Bantuan Instalasi"
    product = await products.create_product(GUILD, name=name, price=90_000)
    await stock.add_items(product, [secret], cipher)
    start_worker()
    ticket = await _open(product, buyer_id=world["buyer"].id)  # opened without the bot: no channel
    room = _channel(sandbox, world, "ticket-budi").id
    await tickets.attach_channel(ticket.id, room)
    await tickets.verify(ticket.id, SELLER)
    await eventually(lambda: _delivered(ticket.id), "the delivery in the ticket", within=30)

    posted = _delivery(await messages(sandbox, room), ticket)
    assert len(posted) == 2 and all(len(m.content) <= CONTENT_MAX for m in posted)
    assert "DM Anda tertutup" in posted[0].content
    assert f"1. {secret}" in posted[1].content  # the key whole, in one message, ready to copy
    assert (await Ticket.get(ticket.id)).delivery.via == "ticket"


async def test_a_delivery_longer_than_three_messages_comes_as_a_text_file(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker
):
    await open_shop(sandbox, world, store, settings, cipher)
    secrets = [f"akun{n}:" + "k" * 1_700 for n in range(5)]
    product = await products.create_product(GUILD, name="Paket Akun", price=10_000)
    await stock.add_items(product, secrets, cipher)
    start_worker()
    ticket = await _open(product, quantity=5, buyer_id=world["buyer"].id)
    await tickets.verify(ticket.id, SELLER)
    await eventually(lambda: _delivered(ticket.id), "the delivery", within=30)

    received = _delivery(_dms(sandbox, world["buyer"]), ticket)
    assert len(received) == 1 and "file terlampir" in received[0].content
    attached = received[0].attachments[0]
    assert attached.filename == f"order-{ticket.number}.txt"
    assert all(s in attached.data.decode() for s in secrets)


async def test_a_split_delivery_has_one_stable_nonce_per_part(store):
    ticket = await _open(await _manual_product())
    content = "\n".join(f"{n}. " + "a" * 900 for n in range(5))
    first = delivery.messages(ticket, "id", content)
    again = delivery.messages(ticket, "id", content)
    assert [(m.content, m.nonce) for m in first] == [(m.content, m.nonce) for m in again]
    assert len(first) == 3 and len({m.nonce for m in first}) == 3
    assert all(len(m.nonce) <= 25 and len(m.content) <= CONTENT_MAX for m in first)
    assert first[0].nonce == delivery.delivery_nonce(ticket)  # the nonce a one-message delivery had


# --- 3. emoji ------------------------------------------------------------------------------


async def test_the_panel_designer_saves_real_emoji_and_refuses_anything_else(store):
    saved = await store_settings.update_panel(
        GUILD, buy_emoji=":shopping_cart:", payment_emoji="<:kopi:123456789012345678>"
    )
    assert (saved.panel.buy_emoji, saved.panel.payment_emoji) == ("🛒", "<:kopi:123456789012345678>")
    buttons = panel.render(saved, [])["components"][0]["components"]
    assert buttons[0]["emoji"] == {"name": "🛒"}
    assert buttons[1]["emoji"] == {"id": "123456789012345678", "name": "kopi", "animated": False}
    assert (await store_settings.update_panel(GUILD, buy_emoji="")).panel.buy_emoji == ""
    assert as_component("<a:joget:123456789012345678>") == {
        "id": "123456789012345678",
        "name": "joget",
        "animated": True,
    }

    for bad in ("cart", ":bukan_emoji:", "🛒🛒", "<:x:1>"):
        with pytest.raises(InvalidInput, match="harus berupa satu emoji") as refused:
            await store_settings.update_panel(GUILD, buy_emoji=bad, title="Judul Baru")
        assert "pydantic" not in str(refused.value) and "panel." not in str(refused.value)
    kept = await Store.find_one({"guild_id": GUILD})
    assert kept.panel.buy_emoji == "" and kept.panel.title != "Judul Baru"  # nothing saved

    await _set_store(locale="en")
    with pytest.raises(InvalidInput, match="the Payment button's emoji must be one emoji"):
        await store_settings.update_panel(GUILD, payment_emoji="kartu")


# --- 4. the panel within the embed limits --------------------------------------------------


@given(
    names=st.lists(st.text(min_size=1, max_size=100), min_size=0, max_size=80),
    description=st.text(max_size=1000),
    intro=st.one_of(st.text(max_size=60), st.text(min_size=3_900, max_size=EMBED_DESCRIPTION_MAX)),
    title=st.one_of(st.text(max_size=30), st.text(min_size=200, max_size=EMBED_TITLE_MAX)),
    layout=st.sampled_from(["fields", "list"]),
    rated=st.booleans(),
    emoji_value=st.sampled_from(["🛒", "", "cart", ":cart:", "<:kopi:123456789012345678>", "x" * 64]),
)
@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_panel_never_breaks_an_embed_limit(names, description, intro, title, layout, rated, emoji_value):
    store = Store.model_construct(
        guild_id=GUILD,
        name="Toko",
        currency="IDR",
        locale="id",
        panel=PanelSettings(title=title, description=intro, layout=layout, buy_emoji=emoji_value),
    )
    lines = [
        panel.ProductLine(
            Product.model_construct(guild_id=GUILD, name=name, price=10**9 + n, description=description[n:]),
            stock=n % 4,
            rating=4.25 if rated else None,
        )
        for n, name in enumerate(names)
    ]
    pages = panel.pages(store, lines)
    assert [line for page in pages for line in page] == lines  # every product on some page, in order
    for number in range(len(pages)):
        rendered = panel.render(store, lines, page=number)
        embed = rendered["embeds"][0]
        assert embed_size(embed) <= EMBED_TOTAL_MAX
        assert len(embed["title"]) <= EMBED_TITLE_MAX and len(embed["description"]) <= EMBED_DESCRIPTION_MAX
        assert len(embed.get("fields", [])) <= EMBED_FIELDS_MAX
        for field in embed.get("fields", []):
            assert 0 < len(field["name"]) <= FIELD_NAME_MAX and 0 < len(field["value"]) <= FIELD_VALUE_MAX
        buttons = rendered["components"][0]["components"]
        assert len(buttons) <= 5
        assert buttons[0].get("emoji") == as_component(emoji_value)  # valid as it was, or left out


async def test_a_shop_of_25_products_with_long_descriptions_gets_its_panel_posted_and_edited(
    sandbox, world, store, cipher, settings, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)
    await Product.find({"guild_id": GUILD}).delete()
    catalogue = [
        await products.create_product(
            GUILD,
            name=f"Netflix Premium Sharing {n + 1} Bulan",
            price=50_000 + n * 1_000,
            description=f"Produk {n + 1}: " + "garansi penuh, akun legal, proses cepat " * 5,
            delivery_mode=DeliveryMode.MANUAL,
            stock=3,
        )
        for n in range(25)
    ]
    assert all(len(p.description) >= 200 for p in catalogue)
    # Saved before emoji were checked: Discord would refuse the whole panel for it.
    await _set_store(**{"panel.buy_emoji": "cart"})
    start_bot()

    shown = await panel_message(sandbox, world)
    embed = shown.embeds[0]
    assert embed_size(embed) <= EMBED_TOTAL_MAX
    names = [f["name"] for f in embed["fields"]]
    assert names[0] == "Netflix Premium Sharing 1 Bulan" and len(names) == 25
    assert "garansi penuh" in embed["fields"][0]["value"]
    buttons = shown.components[0]["components"]
    assert buttons[0]["custom_id"] == "buy_btn" and "emoji" not in buttons[0]

    await products.update_product(GUILD, catalogue[0].id, price=49_000)

    async def edited():
        current = on_sandbox(sandbox, lambda: sandbox.server.messages[world["shop"].id][shown.id])
        return current if "Rp 49.000" in current.embeds[0]["fields"][0]["value"] else None

    changed = await eventually(edited, "the panel edited with the new price", within=30)
    assert embed_size(changed.embeds[0]) <= EMBED_TOTAL_MAX


# --- 5. archival that survives a refusal ---------------------------------------------------


async def test_a_staff_only_transcript_channel_the_bot_was_not_added_to_does_not_stop_the_archive(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker
):
    await open_shop(sandbox, world, store, settings, cipher)
    # As in the demo: the seller made #transcripts staff-only and did not add the bot.
    transcripts = _channel(
        sandbox, world, "transcripts", [Overwrite(world["guild"].id, 0, deny=VIEW_CHANNEL)]
    )
    log = _channel(sandbox, world, "log-toko")
    await _set_store(transcript_channel_id=transcripts.id, log_channel_id=log.id)
    product = await Product.find_one({"guild_id": GUILD})
    start_worker()
    ticket = await _open(product, buyer_id=world["buyer"].id)  # opened without the bot: no channel
    room = _channel(sandbox, world, "ticket-budi").id
    await tickets.attach_channel(ticket.id, room)
    await tickets.cancel(ticket.id, SELLER, "dibatalkan penjual")

    closed = await eventually(lambda: _archived(ticket.id), "the ticket archived", within=30)
    expected = "transkrip tidak terkirim: bot tidak dapat melihat #transcripts — tambahkan bot ke channel itu"
    assert closed.transcript.post_problem == expected  # what the dashboard's ticket page shows
    assert closed.transcript.size > 0 and f"#{ticket.number}" in open(closed.transcript.path).read()  # noqa: ASYNC230
    copy = [m for m in _dms(sandbox, world["buyer"]) if m.attachments]
    assert copy and copy[0].attachments[0].filename == f"ticket-{ticket.number}.html"
    assert room not in on_sandbox(sandbox, lambda: set(sandbox.server.channels))
    assert on_sandbox(sandbox, lambda: sandbox.server.messages.get(transcripts.id, {})) == {}

    alerts = [m for m in await messages(sandbox, log.id) if "transkrip" in m.content]
    assert (
        len(alerts) == 1 and expected in alerts[0].content and f"Tiket #{ticket.number}" in alerts[0].content
    )
    assert str(transcripts.id) not in alerts[0].content  # the channel by name, not by id


async def test_a_transcript_channel_of_another_server_never_gets_the_transcript(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker
):
    """Checked again when used: a store whose settings name a channel of another server (saved
    before the check existed, or written around it) never posts a buyer's transcript there,
    even though the bot could; the seller sees why on the dashboard."""
    await open_shop(sandbox, world, store, settings, cipher)
    s = sandbox.server

    def other_server():
        guild = s.add_guild("Server Lain", s.add_user("other-owner"))
        s.add_member(guild, world["bot"], [s.add_role(guild, "bot", int(REQUIRED)).id])
        return s.add_channel(guild, "private-b")

    elsewhere = on_sandbox(sandbox, other_server)
    await _set_store(transcript_channel_id=elsewhere.id)
    product = await Product.find_one({"guild_id": GUILD})
    start_worker()
    ticket = await _open(product, buyer_id=world["buyer"].id)
    room = _channel(sandbox, world, "ticket-budi").id
    await tickets.attach_channel(ticket.id, room)
    await tickets.cancel(ticket.id, SELLER, "dibatalkan penjual")

    closed = await eventually(lambda: _archived(ticket.id), "the ticket archived", within=30)
    assert on_sandbox(sandbox, lambda: s.messages.get(elsewhere.id, {})) == {}
    assert "bukan channel server ini" in closed.transcript.post_problem
    assert [m for m in _dms(sandbox, world["buyer"]) if m.attachments]  # the buyer still has a copy
    assert room not in on_sandbox(sandbox, lambda: set(s.channels))
