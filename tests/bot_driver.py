"""Acting in the Discord sandbox as people do, and watching what the bot answers."""

from __future__ import annotations

import io

from PIL import Image

from models.payment_method import PaymentKind, PaymentMethod
from models.store import Store
from tests.helpers import automatic_product
from tests.waiting import eventually


def on_sandbox(sandbox, fn):
    return sandbox.call(fn)


async def messages(sandbox, channel_id):
    return on_sandbox(
        sandbox, lambda: sorted(sandbox.server.messages.get(channel_id, {}).values(), key=lambda m: m.id)
    )


def click(sandbox, user, channel_id, message_id, custom_id, values=None):
    """`user` clicks a button (or picks `values` in a menu) on a message; returns the interaction."""
    s = sandbox.server
    channel, message = s.channels[channel_id], s.messages[channel_id][message_id]
    data = {"custom_id": custom_id, "component_type": 3 if values else 2}
    if values:
        data["values"] = values
    return on_sandbox(sandbox, lambda: s.start_interaction(user, channel, message, 3, data))


def submit(sandbox, user, channel_id, custom_id, fields):
    """`user` submits a modal."""
    s = sandbox.server
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in fields.items()]
    data = {"custom_id": custom_id, "components": rows}
    return on_sandbox(sandbox, lambda: s.start_interaction(user, s.channels[channel_id], None, 5, data))


def answers(sandbox, interaction):
    """Messages the bot sent in answer to one interaction (ephemeral follow-ups included)."""
    s = sandbox.server
    return on_sandbox(
        sandbox,
        lambda: [
            m for msgs in s.messages.values() for m in msgs.values() if m.interaction_id == interaction.id
        ],
    )


def answered(sandbox, interaction):
    """Probe: the bot has answered (not just shown the deferred "thinking…" placeholder)."""

    async def probe():
        return [
            m
            for m in answers(sandbox, interaction)
            if m.content != "…" or m.embeds or m.components or m.attachments
        ]

    return probe


def settled(sandbox, interaction):
    """Probe: the bot's answer is final, not "your ticket is being opened…" (Buy's first answer,
    edited by the worker once the ticket channel is ready)."""
    from workflows.i18n import text

    opening = {text(locale, "opening.in_progress") for locale in ("id", "en")}

    async def probe():
        return [m for m in await answered(sandbox, interaction)() if m.content not in opening]

    return probe


def responded(interaction):
    async def probe():
        return interaction.response_type is not None

    return probe


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def open_shop(sandbox, world, store, settings, cipher, items=1):
    """The seller's shop in the sandbox guild: panel channel, ticket category, a product with
    `items` keys, a BCA account; the bot and workers use the sandbox over REST."""
    settings.discord_token = settings.discord_token.__class__(world["token"])
    settings.discord_api_base_url = sandbox.api_base
    category = on_sandbox(sandbox, lambda: sandbox.server.add_channel(world["guild"], "tickets", type_=4))
    await Store.get_pymongo_collection().update_one(
        {"guild_id": store.guild_id},
        {"$set": {"panel.channel_id": world["shop"].id, "tickets.category_ids": [category.id]}},
    )
    product = await automatic_product(cipher, items=items)
    await PaymentMethod(
        guild_id=store.guild_id,
        kind=PaymentKind.BANK,
        provider="BCA",
        details={"account_number": "1234567890", "account_name": "Toko Digital"},
    ).insert()
    return category, product


async def panel_message(sandbox, world):
    async def panel():
        return [m for m in await messages(sandbox, world["shop"].id) if m.embeds and m.author.bot]

    return (await eventually(panel, "the panel in the shop channel", within=40))[0]
