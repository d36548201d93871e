"""Workers' Discord side effects over REST, against the Discord sandbox."""

from __future__ import annotations

import pytest

from tests.conftest import GUILD
from tests.helpers import SELLER, automatic_product, buyer
from tests.waiting import eventually
from workers.discord import Attachment, DiscordRejected, DiscordUnavailable, DMsClosed, OutgoingMessage
from workers.discord_rest import RestDiscord, point_at
from workflows import tickets


@pytest.fixture
async def rest(sandbox, world):
    point_at(sandbox.api_base)
    client = RestDiscord(world["token"])
    yield client
    await client.close()


def _dm_messages(sandbox, user_id):
    def read():
        s = sandbox.server
        return [
            m
            for c in s.channels.values()
            if c.type == 1 and c.recipient_id == user_id
            for m in s.messages[c.id].values()
        ]

    return sandbox.call(read)


async def test_a_dm_sent_twice_with_one_nonce_arrives_once(sandbox, world, rest):
    message = OutgoingMessage(content="Your key: ABC-123", nonce="d" + "0" * 24)
    first = await rest.send_dm(world["buyer"].id, message)
    again = await rest.send_dm(world["buyer"].id, message)
    assert first == again
    assert [m.content for m in _dm_messages(sandbox, world["buyer"].id)] == ["Your key: ABC-123"]


async def test_closed_dms_are_reported_as_such(sandbox, world, rest):
    sandbox.call(lambda: setattr(sandbox.server.users[world["buyer"].id], "dms_open", False))
    with pytest.raises(DMsClosed):
        await rest.send_dm(world["buyer"].id, OutgoingMessage(content="key"))


async def test_a_transcript_file_is_posted_with_its_bytes(sandbox, world, rest):
    page = b"<!doctype html><p>transcript</p>"
    await rest.post(
        world["shop"].id,
        OutgoingMessage(
            content="Transcript",
            files=[Attachment(filename="ticket-1.html", content_type="text/html", data=page)],
        ),
    )
    stored = sandbox.call(lambda: list(sandbox.server.messages[world["shop"].id].values()))
    assert stored[0].attachments[0].filename == "ticket-1.html" and stored[0].attachments[0].data == page


async def test_deleting_a_channel_twice_is_fine_and_unknown_channels_are_refused(sandbox, world, rest):
    await rest.delete_channel(world["private"].id)
    await rest.delete_channel(world["private"].id)
    assert world["private"].id not in sandbox.call(lambda: set(sandbox.server.channels))
    with pytest.raises(DiscordRejected):
        await rest.post(world["private"].id, OutgoingMessage(content="hello?"))


async def test_a_worker_delivers_over_rest_into_the_sandbox(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker
):
    settings.discord_token = settings.discord_token.__class__(world["token"])
    settings.discord_api_base_url = sandbox.api_base
    product = await automatic_product(cipher, items=1)
    start_worker()
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(world["buyer"].id, "budi"))
    await tickets.verify(ticket.id, SELLER)

    async def delivered():
        return [m for m in _dm_messages(sandbox, world["buyer"].id) if "user0@mail.test:pass0" in m.content]

    dms = await eventually(delivered, "the key in the buyer's DMs")
    assert len(dms) == 1 and "#1" in dms[0].content


async def test_opening_dms_too_fast_is_retried_later_not_given_up(sandbox, world, rest):
    """Discord's DM brake (40003) in a rush of deliveries: the delivery that hits it is retried
    (DiscordUnavailable), and goes out once the brake has passed, instead of being flagged
    "not delivered" for good."""
    from discord_sandbox.ratelimits import RateLimits

    sandbox.call(lambda: setattr(sandbox.server, "rate_limits", RateLimits(new_dm_recipients=1)))
    await rest.send_dm(world["buyer"].id, OutgoingMessage(content="key 1"))
    with pytest.raises(DiscordUnavailable):
        await rest.send_dm(world["stranger"].id, OutgoingMessage(content="key 2"))
    sandbox.call(lambda: sandbox.server.clock.advance(61))
    await rest.send_dm(world["stranger"].id, OutgoingMessage(content="key 2"))
    assert [m.content for m in _dm_messages(sandbox, world["stranger"].id)] == ["key 2"]


async def test_a_client_banned_by_cloudflare_waits_instead_of_giving_up(sandbox, world, rest):
    """After 10,000 invalid requests Discord's edge restricts the client with an HTML page: the
    work is retried later, not dropped as if Discord had refused it."""
    from discord_sandbox.ratelimits import RateLimits
    from discord_sandbox.state import VIEW_CHANNEL, Overwrite

    s = sandbox.server
    staff = sandbox.call(
        lambda: s.add_channel(world["guild"], "staff", overwrites=[Overwrite(GUILD, 0, deny=VIEW_CHANNEL)])
    )
    await rest.post(world["shop"].id, OutgoingMessage(content="before"))
    sandbox.call(lambda: setattr(s, "rate_limits", RateLimits(invalid_requests=1)))
    with pytest.raises(DiscordRejected):  # an ordinary refusal: Missing Access, and it counts
        await rest.post(staff.id, OutgoingMessage(content="hidden"))
    with pytest.raises(DiscordUnavailable):
        await rest.post(world["shop"].id, OutgoingMessage(content="during the ban"))
