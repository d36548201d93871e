"""Tells a buyer by DM that their top-up is on their saldo (issue 21, item 5). Run by the sweeper
on every pass (`workers.sweeper.sweep_once`), so a top-up credited anywhere (a bank-mutation
webhook, a gateway callback, a seller on the dashboard) is told within a pass, whichever process
credited it.

The DM is sent first and recorded after (`topups.mark_notified`), with a nonce derived from the
top-up: a sweeper killed in between sends it again on a later pass, and two sweepers racing send
the same nonce; Discord shows such a message once (resources/message.mdx, Create Message,
`nonce` with `enforce_nonce`), so the buyer is told once, and never not at all."""

from __future__ import annotations

import hashlib
import logging

from models.topup import TopUp
from models.wallet import WalletEntry
from workers.discord import DiscordRejected, DMsClosed, OutgoingMessage
from workers.runtime import Runtime
from workflows import topups
from workflows.i18n import text
from workflows.money import format_amount
from workflows.products import get_store

log = logging.getLogger(__name__)
PER_PASS = 20  # DMs a pass sends at most: a burst of top-ups is told over a few passes


def nonce(topup: TopUp) -> str:
    """The top-up's DM nonce (Discord allows 25 characters)."""
    return "t" + hashlib.sha256(f"topup:{topup.id}".encode()).hexdigest()[:24]


async def credited_text(topup: TopUp) -> str:
    """The DM, in the store's language: how much arrived and the saldo now."""
    store = await get_store(topup.guild_id)  # fresh: a DM per top-up, in the language set now
    entry = await WalletEntry.get(topup.entry_id) if topup.entry_id is not None else None
    amount = entry.amount if entry is not None else topup.amount_due
    values = {"store": store.name, "amount": format_amount(amount, topup.currency)}
    if entry is None:
        return text(store.locale, "saldo_s3.topup.credited", **values)
    balance = format_amount(entry.balance_after, topup.currency)
    return text(store.locale, "saldo_s3.topup.credited_balance", balance=balance, **values)


async def send_due(runtime: Runtime) -> int:
    """Tell the buyers of credited top-ups not told yet; returns how many were handled."""
    told = 0
    for topup in await topups.to_notify(limit=PER_PASS):
        try:
            message = OutgoingMessage(content=await credited_text(topup), nonce=nonce(topup))
            await runtime.discord.send_dm(topup.buyer_id, message)
        except DMsClosed:
            log.info("buyer %s: DMs closed, not told that top-up %s arrived", topup.buyer_id, topup.id)
        except DiscordRejected:  # final (4xx): asking again would be refused again
            log.warning("buyer %s: Discord refused the DM for top-up %s", topup.buyer_id, topup.id)
        await topups.mark_notified(topup.id)
        told += 1
    return told
