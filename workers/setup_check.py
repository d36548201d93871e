"""The setup check against Discord itself: reads the guild (owner, roles), the bot's member and
the channels with their overwrites over REST with the bot token, and hands them to
`workflows.setup_check`. Only Discord's own answers are used, so it works against the real
Discord as against the sandbox.

`python -m workers.setup_check --guild ID [--locale id|en]` prints the report; exit status 0
when everything is set up, 1 when something is to fix, 2 when it could not check.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

import aiohttp
import discord
from discord.http import HTTPClient

import models
from models.settings import SettingsError, get_settings, load_settings
from models.store import Store
from workers.discord import DiscordUnavailable
from workers.discord_rest import point_at
from workflows import products
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.setup_check import Purpose, SetupReport, check, configured_channel_ids

log = logging.getLogger(__name__)

MESSAGE_MAX = 2000  # resources/message.mdx "Create Message": content up to 2000 characters
# A rush of buyers pressing Buy while the bot lacks a permission gives the seller one alert
# per this many seconds (per bot process), not one per press.
ALERT_EVERY_S = 300.0
_last_alert: dict[int, float] = {}


async def read(http: HTTPClient, store: Store, bot_user_id: int) -> SetupReport:
    """The setup report of `store`, read with `http` (logged in as the bot `bot_user_id`).

    Raises DiscordUnavailable when Discord does not answer, or refuses to describe the guild
    (the bot is not in it).
    """
    try:
        # resources/guild.mdx "Get Guild" (owner_id, roles), "Get Guild Member",
        # "Get Guild Channels" (each with its permission_overwrites).
        guild = await http.get_guild(store.guild_id, with_counts=False)
        member = await http.get_member(store.guild_id, bot_user_id)
        channels = list(await http.get_all_guild_channels(store.guild_id))
        present = {int(c["id"]) for c in channels}
        outside: dict[int, dict | None] = {}
        for channel_id in configured_channel_ids(store):
            if channel_id in present or channel_id in outside:
                continue
            try:
                # resources/channel.mdx "Get Channel": still known, so in another guild.
                outside[channel_id] = dict(await http.get_channel(channel_id))
            except discord.Forbidden:
                # Missing Access: it exists, in a guild the bot is not in (every channel of
                # its own guild is listed by Get Guild Channels, seen or not).
                outside[channel_id] = {"id": str(channel_id), "guild_id": None}
            except discord.NotFound:
                outside[channel_id] = None
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
        raise DiscordUnavailable(f"could not read guild {store.guild_id} from Discord: {error}") from error
    return check(store, dict(guild), dict(member), [dict(c) for c in channels], outside)


async def check_store(store: Store) -> SetupReport:
    """The report of `store`, with a REST client of its own (the dashboard and the CLI)."""
    settings = get_settings()
    point_at(settings.discord_api_base_url)
    http = HTTPClient()
    try:
        try:
            me = await http.static_login(settings.discord_token.get_secret_value())
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            raise DiscordUnavailable(f"could not log in to Discord: {error}") from error
        return await read(http, store, int(me["id"]))
    finally:
        await http.close()


async def tell_seller_tickets_blocked(
    http: HTTPClient, store: Store, bot_user_id: int, buyer_id: int, number: int
) -> bool:
    """After Discord refused to open a ticket channel: post to the store's log channel what
    the bot misses in its ticket categories and how to fix it. False when there is no log
    channel or the bot cannot post there (the dashboard's setup check still shows it)."""
    if store.log_channel_id is None:
        return False
    last = _last_alert.get(store.guild_id)
    if last is not None and time.monotonic() - last < ALERT_EVERY_S:
        return True
    _last_alert[store.guild_id] = time.monotonic()
    try:
        report = (await read(http, store, bot_user_id)).for_purposes(Purpose.TICKETS, Purpose.TICKETS_SERVER)
        lines = [f.line(store.locale) for f in report.problems()]
    except DiscordUnavailable:
        lines = []
    content = "\n".join(
        [text(store.locale, "setup_check.seller_alert", buyer=buyer_id, number=number), *lines]
    )
    if len(content) > MESSAGE_MAX:
        content = content[: MESSAGE_MAX - 1] + "…"
    try:
        await http.send_message(store.log_channel_id, content)
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
        log.warning("could not tell the seller of guild %s in the log channel: %s", store.guild_id, error)
        return False
    return True


async def _main(guild_id: int, locale: str | None) -> int:
    settings = load_settings()
    if not settings.discord_token.get_secret_value():
        raise SettingsError("STORE_DISCORD_TOKEN: the setup check reads Discord with the bot's token")
    client = await models.connect(settings.mongodb_url or "", settings.mongodb_database)
    try:
        store = await products.get_store(guild_id)
        report = await check_store(store)
    except (StoreError, DiscordUnavailable) as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        await client.close()
    print("\n".join(report.lines(locale or store.locale)))
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workers.setup_check", description="What the bot may do where the store needs it."
    )
    parser.add_argument("--guild", type=int, required=True, help="the store's Discord server id")
    parser.add_argument(
        "--locale", choices=["id", "en"], help="language of the report (default: the store's)"
    )
    arguments = parser.parse_args(argv)
    try:
        return asyncio.run(_main(arguments.guild, arguments.locale))
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
