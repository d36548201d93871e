"""The transcript and the ticket's history read like a conversation and a story (issue 17, 5):
names instead of ids, Discord markdown rendered, real message times in the store's time, the
history in the shop's words. Pure: no database, the models are built as they are read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from beanie import PydanticObjectId

from models.product import DeliveryMode
from models.store import Store
from models.ticket import (
    Actor,
    HistoryEntry,
    PaymentReport,
    ProductSnapshot,
    Ticket,
    TicketOutcome,
    TicketState,
)
from models.ticket_message import TicketMessage
from workflows.i18n import text
from workflows.ticket_story import awaiting_verification, tell
from workflows.transcript import render_html, render_markdown

BUYER, SELLER, BOT, CHANNEL = (
    1_300_000_000_000_000_001,
    1_300_000_000_000_000_002,
    9,
    1_300_000_000_000_000_050,
)
OPENED = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 10.00 in Jakarta
BUDI = Actor(kind="buyer", user_id=BUYER, name="budi")
SITI = Actor(kind="seller", user_id=SELLER, name="siti")


def _store(locale: str = "id") -> Store:
    return Store.model_construct(guild_id=1, name="Toko Budi", locale=locale, currency="IDR")


def _ticket(history: list[HistoryEntry], **fields) -> Ticket:
    return Ticket.model_construct(
        id=PydanticObjectId(),
        guild_id=1,
        number=7,
        buyer_id=BUYER,
        buyer_name="budi",
        product=ProductSnapshot(
            product_id=PydanticObjectId(),
            name="Netflix",
            unit_price=50_000,
            delivery_mode=DeliveryMode.AUTOMATIC,
        ),
        quantity=1,
        currency="IDR",
        subtotal=50_000,
        unique_code=123,
        amount_due=50_123,
        channel_id=CHANNEL,
        history=history,
        created_at=OPENED,
        **{"closed_at": None, "payment_report": None, "outcome": None, "state": TicketState.OPEN, **fields},
    )


def _entry(minutes: int, trigger: str, by: Actor, source, dest, reason: str = "") -> HistoryEntry:
    return HistoryEntry(
        at=OPENED + timedelta(minutes=minutes),
        trigger=trigger,
        source=source,
        dest=dest,
        by=by,
        reason=reason,
    )


OPEN, PAID, DONE, CLOSED = TicketState.OPEN, TicketState.PAID, TicketState.COMPLETED, TicketState.CLOSED
LIFE = [
    _entry(0, "open", BUDI, None, OPEN),
    _entry(1, "choose_payment_method", BUDI, OPEN, OPEN, "bank: BCA"),
    _entry(2, "report_payment", BUDI, OPEN, OPEN, "payment reported"),
    _entry(5, "verify", SITI, OPEN, PAID, "verified in Discord"),
    _entry(5, "complete", Actor.system("deliver_product"), PAID, DONE, "delivered by dm"),
    _entry(
        15, "close", Actor.system("auto-close timer"), DONE, CLOSED, "closed automatically after completion"
    ),
]


def test_the_history_is_told_in_the_shops_words_with_names_and_store_times():
    story = tell(_ticket(LIFE), "id")
    assert [c.says for c in story] == [
        "budi membuka tiket #7 untuk Netflix × 1",
        "budi memilih BCA",
        "budi melaporkan pembayaran",
        "siti memverifikasi pembayaran",
        "Produk sudah dikirim",
        "Tiket ditutup otomatis setelah pengiriman",
    ]
    assert story[0].at == "3 Des 2026 10.00 WIB"
    english = tell(_ticket(LIFE), "en")
    assert english[1].says == "budi chose BCA" and english[3].says == "siti verified the payment"
    assert english[0].at == "3 Dec 2026, 10:00 WIB"
    for line in story + english:  # no machine words, no ids
        for internal in ("choose_payment_method", "deliver_product", "∅", "→", str(BUYER)):
            assert internal not in line.says


def test_a_cancel_says_the_sellers_reason_and_an_expiry_says_it_expired():
    ticket = _ticket(
        [
            _entry(0, "open", BUDI, None, OPEN),
            _entry(3, "cancel", SITI, OPEN, CLOSED, "stok habis, uang dikembalikan"),
            _entry(4, "expire", Actor.system("expiry timer"), OPEN, CLOSED, "unpaid"),
        ]
    )
    says = [c.says for c in tell(ticket, "id")]
    assert says[1:] == [
        "siti membatalkan tiket: stok habis, uang dikembalikan",
        "Tiket kedaluwarsa sebelum dibayar",
    ]


def test_the_payment_reported_badge_is_only_for_a_ticket_still_waiting():
    report = PaymentReport(reference="BCA 123", reported_at=OPENED, reported_by=BUYER)
    assert awaiting_verification(_ticket(LIFE[:3]).model_copy(update={"payment_report": report}))
    closed = _ticket(LIFE).model_copy(
        update={"payment_report": report, "state": TicketState.CLOSED, "outcome": TicketOutcome.COMPLETED}
    )
    assert not awaiting_verification(closed)


def test_discord_markdown_is_rendered_and_everything_else_escaped():
    names = {BUYER: "budi", CHANNEL: "ticket-7"}
    shown = render_markdown(
        "Halo <@1300000000000000001>, cek <#1300000000000000050>: **Netflix** *1 bulan* __garansi__ ~~lama~~ "
        "||rahasia|| `kode**x**` [panduan](https://toko.example/a?b=1&c=2) <script>alert(1)</script>",
        names,
    )
    assert '<span class="mention">@budi</span>' in shown and '<span class="mention">#ticket-7</span>' in shown
    assert "<strong>Netflix</strong>" in shown and "<em>1 bulan</em>" in shown and "<u>garansi</u>" in shown
    assert "<s>lama</s>" in shown and '<span class="spoiler">rahasia</span>' in shown
    assert "<code>kode**x**</code>" in shown  # nothing inside code is formatted
    assert '<a href="https://toko.example/a?b=1&amp;c=2">panduan</a>' in shown
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "**" not in shown.replace("kode**x**", "") and "<@" not in shown
    assert "<pre><code>a &lt; b\n**x**</code></pre>" in render_markdown("```py\na < b\n**x**```")


def test_the_transcript_shows_names_markdown_and_each_messages_own_time():
    ticket = _ticket(LIFE, closed_at=OPENED + timedelta(minutes=15)).model_copy(
        update={"state": TicketState.CLOSED, "outcome": TicketOutcome.COMPLETED}
    )
    chat = [
        TicketMessage.model_construct(
            ticket_id=ticket.id,
            guild_id=1,
            channel_id=CHANNEL,
            message_id=n + 1,
            author_id=author,
            author_name=name,
            author_is_bot=author == BOT,
            content=content,
            embeds_text=[],
            attachments=[],
            created_at=OPENED + timedelta(minutes=minute),
            edits=[],
            deleted_at=None,
        )
        for n, (author, name, content, minute) in enumerate(
            [
                (BOT, "Toko Bot", "Hi <@1300000000000000001>! Ticket #7: **Netflix** × 1.", 0),
                (BUYER, "budi", "sudah transfer ya <@1300000000000000002>", 3),
                (SELLER, "siti", "**oke**, dicek", 4),
            ]
        )
    ]
    page = render_html(_store("id"), ticket, chat)
    assert "<@" not in page and "**" not in page and str(BUYER) not in page
    assert 'Hi <span class="mention">@budi</span>! Ticket #7: <strong>Netflix</strong>' in page
    assert '<span class="mention">@siti</span>' in page
    # Each message at its own time, in Jakarta time (UTC+7), not one stamp for all.
    for stamp in ("3 Des 2026 10.00 WIB", "3 Des 2026 10.03 WIB", "3 Des 2026 10.04 WIB"):
        assert f'<span class="time">{stamp}</span>' in page
    assert "Yang terjadi" in page and "budi memilih BCA" in page and "choose_payment_method" not in page
    assert "<td>Pembeli</td><td>budi</td>" in page and "<td>Hasil</td><td>selesai</td>" in page


def test_the_dm_that_a_ticket_opened_names_its_number_not_a_channel_that_will_be_deleted():
    for locale in ("id", "en"):
        said = text(locale, "opening.ready_dm", number=7, store="Toko Budi", channel=CHANNEL)
        assert "#7" in said and "<#" not in said and str(CHANNEL) not in said
