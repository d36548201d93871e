"""Transcripts: a ticket's conversation rendered as one HTML page.

No link back to Discord's CDN (its attachment URLs expire): attachments the store copied are
linked to the dashboard, which serves them to the store's sellers
(`/files/tickets/<ticket>/attachments/<message>/<n>`). They are not inlined: an 8 MB receipt
photo would make the page too big for Discord's upload limit, and the page is posted to the
log channel and DMed to the buyer. A chat too big even so is posted shortened
(`render_html(..., max_bytes=...)`), with a link to the full page the store keeps.
"""

from __future__ import annotations

import html
from datetime import datetime

from models.store import Store
from models.ticket import Ticket
from models.ticket_message import StoredAttachment, TicketMessage
from workflows.i18n import text
from workflows.money import format_amount

_STYLE = """
body{font-family:system-ui,sans-serif;background:#313338;color:#dbdee1;margin:0;padding:24px}
h1{font-size:20px;color:#fff}.meta{color:#949ba4;font-size:13px;margin-bottom:16px}
.msg{padding:6px 0;border-bottom:1px solid #3f4147}.author{font-weight:600;color:#fff}
.bot{color:#5865f2}.time{color:#949ba4;font-size:12px;margin-left:6px}
.deleted{opacity:.5;text-decoration:line-through}.edit{color:#949ba4;font-size:12px}
.content{white-space:pre-wrap}.attachment a{color:#00a8fc}.omitted{color:#f0b232;padding:12px 0}
table{border-collapse:collapse;margin:12px 0}td{padding:2px 12px 2px 0;color:#b5bac1}
"""


def _time(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def attachment_path(ticket_id: object, message_id: int, index: int) -> str:
    """Where the dashboard serves a ticket's stored attachment (web/media.py)."""
    return f"/files/tickets/{ticket_id}/attachments/{message_id}/{index}"


def transcript_path(ticket_id: object) -> str:
    """Where the dashboard serves a ticket's full archived transcript (web/media.py)."""
    return f"/files/tickets/{ticket_id}/transcript"


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


def _attachment(message: TicketMessage, index: int, item: StoredAttachment, base_url: str) -> str:
    name = f"📎 {html.escape(item.filename)} ({_size(item.size)})"
    if not item.stored_path:  # too big to copy, or lost: only its name is known
        return f'<div class="attachment">{name}</div>'
    url = base_url + attachment_path(message.ticket_id, message.message_id, index)
    return f'<div class="attachment"><a href="{html.escape(url)}">{name}</a></div>'


def _message(m: TicketMessage, base_url: str) -> str:
    esc = html.escape
    classes = "msg deleted" if m.deleted_at else "msg"
    author = f'<span class="author{" bot" if m.author_is_bot else ""}">{esc(m.author_name)}</span>'
    edits = "".join(f'<div class="edit">before edit: {esc(e.content)}</div>' for e in m.edits)
    embeds = "".join(f'<div class="content">{esc(e)}</div>' for e in m.embeds_text)
    files = "".join(_attachment(m, i, a, base_url) for i, a in enumerate(m.attachments))
    return (
        f'<div class="{classes}">{author}<span class="time">{_time(m.created_at)}</span>'
        f'{edits}<div class="content">{esc(m.content)}</div>{embeds}{files}</div>'
    )


def _fitting(bodies: list[str], budget: int) -> tuple[list[str], list[str]]:
    """The first messages that fit in half of `budget` bytes and the last that fit in the rest:
    how the chat began and how it ended, the middle left out."""
    sizes = [len(body.encode()) for body in bodies]
    first, used = 0, 0
    while first < len(bodies) and used + sizes[first] <= budget // 2:
        used += sizes[first]
        first += 1
    last = len(bodies)
    while last > first and used + sizes[last - 1] <= budget:
        used += sizes[last - 1]
        last -= 1
    return bodies[:first], bodies[last:]


def render_html(
    store: Store,
    ticket: Ticket,
    messages: list[TicketMessage],
    base_url: str = "",
    max_bytes: int | None = None,
) -> str:
    """The transcript as HTML: ticket facts, history, then every message in order, each
    attachment linked to the dashboard at `base_url`. With `max_bytes`, a page that would be
    bigger keeps the first and last messages that fit and says, in the store's language, how
    many were left out and where the full transcript is."""
    esc = html.escape
    rows = [
        ("Ticket", f"#{ticket.number}"),
        ("Buyer", f"{ticket.buyer_name} ({ticket.buyer_id})"),
        ("Product", f"{ticket.product.name} × {ticket.quantity}"),
        ("Amount due", format_amount(ticket.amount_due, ticket.currency)),
        ("Outcome", ticket.outcome.value if ticket.outcome else ticket.state.value),
        ("Opened", _time(ticket.created_at)),
    ]
    if ticket.closed_at:
        rows.append(("Closed", _time(ticket.closed_at)))
    facts = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    history = "".join(
        f"<tr><td>{_time(h.at)}</td><td>{esc(h.trigger)}</td>"
        f"<td>{esc(h.source.value if h.source else '-')} → {esc(h.dest.value)}</td>"
        f"<td>{esc(h.by.kind)} {esc(h.by.name)}</td><td>{esc(h.reason)}</td></tr>"
        for h in ticket.history
    )
    head = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{esc(store.name)} ticket #{ticket.number}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{esc(store.name)} — ticket #{ticket.number}</h1><table>{facts}</table>"
        f"<h2>History</h2><table>{history}</table><h2>Messages</h2>"
    )
    end = "</body></html>"
    bodies = [_message(m, base_url) for m in messages]
    page = head + "".join(bodies) + end
    if max_bytes is None or len(page.encode()) <= max_bytes:
        return page
    link = base_url + transcript_path(ticket.id)
    notice_room = len(text(store.locale, "limits.transcript_shortened", count=len(bodies), link="").encode())
    notice_room += len(esc(link).encode()) * 2 + 64
    budget = max_bytes - len(head.encode()) - len(end.encode()) - notice_room
    first, last = _fitting(bodies, max(budget, 0))
    left_out = len(bodies) - len(first) - len(last)
    notice = esc(text(store.locale, "limits.transcript_shortened", count=left_out, link=link))
    notice = notice.replace(esc(link), f'<a href="{esc(link)}">{esc(link)}</a>')
    return head + "".join(first) + f'<div class="omitted">{notice}</div>' + "".join(last) + end
