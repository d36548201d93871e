"""Transcripts: a ticket's conversation rendered as one self-contained HTML page.

Self-contained means no link back to Discord's CDN (its attachment URLs expire): images the
project stored are embedded as data URIs, other attachments listed with name and size.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from datetime import datetime

from models.store import Store
from models.ticket import Ticket
from models.ticket_message import StoredAttachment, TicketMessage
from workflows.money import format_amount

ReadAttachment = Callable[[StoredAttachment], bytes | None]

_STYLE = """
body{font-family:system-ui,sans-serif;background:#313338;color:#dbdee1;margin:0;padding:24px}
h1{font-size:20px;color:#fff}.meta{color:#949ba4;font-size:13px;margin-bottom:16px}
.msg{padding:6px 0;border-bottom:1px solid #3f4147}.author{font-weight:600;color:#fff}
.bot{color:#5865f2}.time{color:#949ba4;font-size:12px;margin-left:6px}
.deleted{opacity:.5;text-decoration:line-through}.edit{color:#949ba4;font-size:12px}
.content{white-space:pre-wrap}img{max-width:400px;display:block;margin-top:4px}
table{border-collapse:collapse;margin:12px 0}td{padding:2px 12px 2px 0;color:#b5bac1}
"""


def _time(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _attachment(item: StoredAttachment, read: ReadAttachment) -> str:
    name = html.escape(item.filename)
    data = read(item) if item.stored_path else None
    if data is not None and item.content_type.startswith("image/"):
        encoded = base64.b64encode(data).decode()
        return f'<img alt="{name}" src="data:{html.escape(item.content_type)};base64,{encoded}">'
    return f'<div class="attachment">📎 {name} ({item.size} bytes)</div>'


def render_html(
    store: Store,
    ticket: Ticket,
    messages: list[TicketMessage],
    read: ReadAttachment = lambda _: None,
) -> str:
    """The whole transcript as HTML: ticket facts, history, then every message in order."""
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
    body = []
    for m in messages:
        classes = "msg deleted" if m.deleted_at else "msg"
        author = f'<span class="author{" bot" if m.author_is_bot else ""}">{esc(m.author_name)}</span>'
        edits = "".join(f'<div class="edit">before edit: {esc(e.content)}</div>' for e in m.edits)
        embeds = "".join(f'<div class="content">{esc(e)}</div>' for e in m.embeds_text)
        files = "".join(_attachment(a, read) for a in m.attachments)
        body.append(
            f'<div class="{classes}">{author}<span class="time">{_time(m.created_at)}</span>'
            f'{edits}<div class="content">{esc(m.content)}</div>{embeds}{files}</div>'
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{esc(store.name)} ticket #{ticket.number}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{esc(store.name)} — ticket #{ticket.number}</h1><table>{facts}</table>"
        f"<h2>History</h2><table>{history}</table><h2>Messages</h2>{''.join(body)}</body></html>"
    )
