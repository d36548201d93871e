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
import re

from models.store import Store
from models.ticket import Ticket
from models.ticket_message import StoredAttachment, TicketMessage
from workflows.i18n import text
from workflows.money import format_amount
from workflows.ticket_story import local_time, tell

_STYLE = """
body{font-family:system-ui,sans-serif;background:#313338;color:#dbdee1;margin:0;padding:24px}
h1{font-size:20px;color:#fff}.meta{color:#949ba4;font-size:13px;margin-bottom:16px}
.msg{padding:6px 0;border-bottom:1px solid #3f4147}.author{font-weight:600;color:#fff}
.bot{color:#5865f2}.time{color:#949ba4;font-size:12px;margin-left:6px}
.deleted{opacity:.5;text-decoration:line-through}.edit{color:#949ba4;font-size:12px}
.content{white-space:pre-wrap}.attachment a{color:#00a8fc}.omitted{color:#f0b232;padding:12px 0}
table{border-collapse:collapse;margin:12px 0}td{padding:2px 12px 2px 0;color:#b5bac1}
code{background:#2b2d31;border-radius:3px;padding:0 3px;font-family:ui-monospace,monospace}
pre{background:#2b2d31;border-radius:4px;padding:8px;white-space:pre-wrap}
.mention{background:#3c4270;color:#c9cdfb;border-radius:3px;padding:0 2px}
.spoiler{background:#1e1f22;color:transparent;border-radius:3px}.spoiler:hover{color:inherit}
a{color:#00a8fc}
"""

# Discord's markdown as the client shows it (https://support.discord.com/hc/en-us/articles/
# 210298617, and reference.mdx "Message Formatting" for mentions): code first (nothing inside
# code is formatted), then links, then the inline styles. Everything else is escaped text.
_CODE_BLOCK = re.compile(r"```(?:[A-Za-z0-9_+-]*\n)?(.*?)```", re.S)
_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_URL = re.compile(r"(?<![\"'=>])\bhttps?://[^\s<]+[^\s<.,;:!?)'\"]")
_STYLES = [
    (re.compile(r"\*\*(.+?)\*\*", re.S), r"<strong>\1</strong>"),
    (re.compile(r"__(.+?)__", re.S), r"<u>\1</u>"),
    (re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])", re.S), r"<em>\1</em>"),
    (re.compile(r"(?<![_\w])_(?!\s)(.+?)(?<!\s)_(?![_\w])", re.S), r"<em>\1</em>"),
    (re.compile(r"~~(.+?)~~", re.S), r"<s>\1</s>"),
    (re.compile(r"\|\|(.+?)\|\|", re.S), r'<span class="spoiler">\1</span>'),
]
_MENTION = re.compile(r"&lt;(@!?|@&amp;|#)(\d{1,20})&gt;")


def _mentions(escaped: str, names: dict[int, str]) -> str:
    """`<@id>`, `<@!id>`, `<@&id>`, `<#id>` (already escaped) as the names the store knows."""

    def name(match: re.Match[str]) -> str:
        kind, known = match.group(1), names.get(int(match.group(2)))
        sigil = "#" if kind == "#" else "@"
        shown = html.escape(known) if known else ("channel" if sigil == "#" else "someone")
        return f'<span class="mention">{sigil}{shown}</span>'

    return _MENTION.sub(name, escaped)


def render_markdown(content: str, names: dict[int, str] | None = None) -> str:
    """A Discord message's text as safe HTML: markdown rendered, mentions as names, every other
    character escaped (a message is the buyer's to write: no tag of theirs reaches the page)."""
    names = names or {}
    content = content.replace("\x00", "")  # the marker of the pieces set aside below
    kept: list[str] = []

    def keep(fragment: str) -> str:
        kept.append(fragment)
        return f"\x00{len(kept) - 1}\x00"

    # Code is shown as typed: set aside before anything else is formatted.
    work = _CODE_BLOCK.sub(lambda m: keep(f"<pre><code>{html.escape(m.group(1))}</code></pre>"), content)
    work = _CODE.sub(lambda m: keep(f"<code>{html.escape(m.group(1))}</code>"), work)
    work = _LINK.sub(
        lambda m: keep(f'<a href="{html.escape(m.group(2))}">{html.escape(m.group(1))}</a>'), work
    )
    work = _URL.sub(
        lambda m: keep(f'<a href="{html.escape(m.group(0))}">{html.escape(m.group(0))}</a>'), work
    )
    work = html.escape(work)
    for pattern, replacement in _STYLES:
        work = pattern.sub(replacement, work)
    work = _mentions(work, names)
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], work)


def known_names(ticket: Ticket, messages: list[TicketMessage]) -> dict[int, str]:
    """The people and the channel a transcript can name: the buyer on the ticket, every
    message's author, and the ticket's own channel."""
    names = {m.author_id: m.author_name for m in messages}
    names[ticket.buyer_id] = ticket.buyer_name or names.get(ticket.buyer_id, "")
    if ticket.channel_id:
        names[ticket.channel_id] = f"ticket-{ticket.number}"
    return {k: v for k, v in names.items() if v}


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


def _message(m: TicketMessage, base_url: str, locale: str, names: dict[int, str]) -> str:
    esc = html.escape
    classes = "msg deleted" if m.deleted_at else "msg"
    author = f'<span class="author{" bot" if m.author_is_bot else ""}">{esc(m.author_name)}</span>'
    edits = "".join(
        f'<div class="edit">{esc(text(locale, "story.facts.before_edit", text="")).rstrip()} '
        f"{render_markdown(e.content, names)}</div>"
        for e in m.edits
    )
    embeds = "".join(f'<div class="content">{render_markdown(e, names)}</div>' for e in m.embeds_text)
    files = "".join(_attachment(m, i, a, base_url) for i, a in enumerate(m.attachments))
    return (
        f'<div class="{classes}">{author}<span class="time">{local_time(m.created_at, locale)}</span>'
        f'{edits}<div class="content">{render_markdown(m.content, names)}</div>{embeds}{files}</div>'
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
    locale = store.locale
    fact = lambda key: text(locale, f"story.facts.{key}")  # noqa: E731
    state = ticket.outcome.value if ticket.outcome else ticket.state.value
    outcome = fact(state) if state in ("open", "paid") else text(locale, f"outcome.{state}")
    rows = [
        (fact("ticket"), f"#{ticket.number}"),
        (fact("buyer"), ticket.buyer_name),
        (fact("product"), f"{ticket.product.name} × {ticket.quantity}"),
        (fact("amount"), format_amount(ticket.amount_due, ticket.currency)),
        (fact("outcome"), outcome),
        (fact("opened"), local_time(ticket.created_at, locale)),
    ]
    if ticket.closed_at:
        rows.append((fact("closed"), local_time(ticket.closed_at, locale)))
    facts = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    history = "".join(f"<tr><td>{esc(c.at)}</td><td>{esc(c.says)}</td></tr>" for c in tell(ticket, locale))
    title = esc(text(locale, "story.facts.title", store=store.name, number=ticket.number))
    head = (
        f"<!doctype html><html lang='{esc(locale)}'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{title}</h1><table>{facts}</table>"
        f"<h2>{esc(fact('history'))}</h2><table>{history}</table><h2>{esc(fact('messages'))}</h2>"
    )
    end = "</body></html>"
    names = known_names(ticket, messages)
    bodies = [_message(m, base_url, locale, names) for m in messages]
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
