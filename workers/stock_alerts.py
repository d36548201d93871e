"""Sends what `workflows.stock_alerts` decided: the sellers' low-stock alerts in the store's
log channel, and the "it is back" DMs to the buyers called from the waiting line, in line order.
Run by the sweeper on every pass (`workers.sweeper.sweep_once`), so a restock made anywhere
(dashboard, cancelled ticket, script) is told within a pass, and a message a crash interrupted
is sent again after the claim's lease with the same nonce (Discord shows it once:
resources/message.mdx, Create Message, `nonce` with `enforce_nonce`)."""

from __future__ import annotations

import hashlib
import logging

from models.product import Product
from workers.discord import DiscordRejected, DMsClosed, OutgoingMessage
from workers.runtime import Runtime
from workflows import stock_alerts
from workflows.products import get_store

log = logging.getLogger(__name__)
PER_PASS = 20  # messages of each kind a pass sends at most: a long line is told over a few passes


def _panel_link(guild_id: int, channel_id: int | None, message_id: int | None) -> str:
    # A message link (reference.mdx, Message Formatting: a jump link is channels/guild/channel/message).
    if not channel_id or not message_id:
        return ""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _nonce(kind: str, *parts: object) -> str:
    return kind + hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:24]


async def _post_alerts(runtime: Runtime) -> int:
    posted = 0
    for _ in range(PER_PASS):
        watch = await stock_alerts.claim_alert()
        if watch is None:
            break
        store = await get_store(watch.guild_id)  # fresh: a log channel set a moment ago counts
        product = await Product.get(watch.product_id)
        if store.log_channel_id and product is not None:
            content = stock_alerts.alert_text(
                store.locale, product.name, watch.alert_available, watch.threshold
            )
            try:
                await runtime.discord.post(
                    store.log_channel_id,
                    OutgoingMessage(content=content, nonce=watch.alert_nonce[:25]),
                    guild_id=store.guild_id,
                )
            except DiscordRejected:
                # No log channel the bot may write in: the setup check names it; not retried forever.
                log.warning("store %s: low-stock alert for %s refused by Discord", store.guild_id, product.id)
        await stock_alerts.alert_posted(watch)
        posted += 1
    return posted


async def _tell_buyers(runtime: Runtime) -> int:
    told = 0
    for _ in range(PER_PASS):
        wait = await stock_alerts.claim_call()
        if wait is None:
            break
        store = await get_store(wait.guild_id)  # fresh: the panel's message id for the link
        product = await Product.get(wait.product_id)
        if product is not None:
            link = _panel_link(store.guild_id, store.panel.channel_id, store.panel.message_id)
            content = stock_alerts.back_text(store.locale, store.name, product.name, link)
            try:
                message = OutgoingMessage(content=content, nonce=_nonce("w", wait.id))
                await runtime.discord.send_dm(wait.user_id, message)
            except DMsClosed:
                log.info("buyer %s: DMs closed, not told that %s is back", wait.user_id, product.id)
            except DiscordRejected:  # final (4xx): telling them again would be refused again
                log.warning("buyer %s: Discord refused the DM that %s is back", wait.user_id, product.id)
        await stock_alerts.told(wait)
        told += 1
    return told


async def send_due(runtime: Runtime) -> int:
    """One pass: due alerts, then due buyer DMs. Returns how many were handled."""
    return await _post_alerts(runtime) + await _tell_buyers(runtime)
