"""A Discord role on purchase (issue 20, item 2), through a real bot, real workers and the
Discord sandbox, which refuses a role as Discord does (Manage Roles, and only roles below the
bot's highest one: topics/permissions.mdx "Permission Hierarchy").

Waiting is in MongoDB wall time (a retry a minute later, an expiry 30 days later): the tests
make that time pass by moving the grant's due time, as a clock would, never by sleeping."""

from __future__ import annotations

from datetime import timedelta

import httpx

from models.product import Product
from models.role_grant import GrantStatus, RoleGrant, RoleProblem
from models.store import Store, utcnow
from models.ticket import Ticket, TicketState
from tests.bot_driver import click, messages, on_sandbox, open_shop, panel_message
from tests.conftest import GUILD
from tests.helpers import SELLER, automatic_product, buyer
from tests.waiting import eventually
from workflows import role_grants, tickets
from workflows.errors import StoreError


def _roles_of(sandbox, world, user) -> list[int]:
    return on_sandbox(sandbox, lambda: list(world["guild"].members[user.id].roles))


def _role(sandbox, world, name):
    return on_sandbox(sandbox, lambda: next(r for r in world["guild"].roles.values() if r.name == name))


def _drag(sandbox, world, role, position: int) -> None:
    """The owner drags `role` to `position` in Server Settings → Roles."""
    response = httpx.post(
        f"{sandbox.base_url}/_sandbox/guilds/{world['guild'].id}/roles/{role.id}/position",
        json={"position": position},
    )
    assert response.status_code == 200, response.text


async def _log_channel(sandbox, world, store: Store):
    channel = on_sandbox(sandbox, lambda: sandbox.server.add_channel(world["guild"], "log-toko"))
    await Store.get_pymongo_collection().update_one(
        {"guild_id": store.guild_id}, {"$set": {"log_channel_id": channel.id}}
    )
    return channel


async def _gives_role(product: Product, role, days: int | None) -> None:
    await Product.get_pymongo_collection().update_one(
        {"_id": product.id}, {"$set": {"role_id": role.id, "role_name": role.name, "role_days": days}}
    )


async def _time_passes_until_due(grant_id, at=None) -> None:
    """The grant's next step comes due (the retry's minute, the role's 30 days, have passed)."""
    await RoleGrant.get_pymongo_collection().update_one(
        {"_id": grant_id}, {"$set": {"due_at": at or utcnow()}}
    )


def _granted(grant_id):
    async def probe():
        grant = await RoleGrant.get(grant_id)
        return grant if grant.status is GrantStatus.GRANTED else None

    return probe


async def _buy_and_pay(
    sandbox, world, store, settings, cipher, start_worker, start_bot=None, bot_above=False
):
    """budi buys the product that gives "VIP" for 30 days (pressing Buy on the panel, through the
    real bot, when `start_bot` is given), the seller verifies; the worker delivers."""
    _, product = await open_shop(sandbox, world, store, settings, cipher)
    vip = on_sandbox(sandbox, lambda: sandbox.server.add_role(world["guild"], "VIP"))
    if bot_above:  # the seller set the roles up right: the bot's role above VIP
        _drag(sandbox, world, _role(sandbox, world, "bot"), 2)
    await _gives_role(product, vip, days=30)
    worker = start_worker()
    if start_bot is None:
        ticket = await tickets.open_ticket(GUILD, product.id, buyer(world["buyer"].id, "budi"))
    else:
        start_bot()
        panel = await panel_message(sandbox, world)
        click(sandbox, world["buyer"], world["shop"].id, panel.id, "buy_btn")

        async def opened():
            return await Ticket.find_one({"guild_id": GUILD, "channel_id": {"$ne": None}})

        ticket = await eventually(opened, "budi's ticket with its channel", within=40)
    await tickets.verify(ticket.id, SELLER)

    async def delivered():
        return (await Ticket.get(ticket.id)).state is TicketState.COMPLETED

    await eventually(delivered, "the key delivered to budi", within=40)
    return ticket, vip, worker


async def test_a_role_refused_by_the_hierarchy_is_given_after_the_seller_moves_the_bots_role_up(
    sandbox, world, store, cipher, settings, start_worker, start_bot, relay_to_workers
):
    log_channel = await _log_channel(sandbox, world, store)
    # "VIP" is made after the bot's role, so it sits above it: Discord refuses to give it.
    ticket, vip, _ = await _buy_and_pay(sandbox, world, store, settings, cipher, start_worker, start_bot)
    budi = world["buyer"]

    async def seller_told():
        return [m for m in await messages(sandbox, log_channel.id) if "VIP" in m.content]

    [alert] = await eventually(seller_told, "the seller told why the role was not given")
    # In the store's language (Indonesian), naming the ticket, the buyer, why, and the fix.
    assert f"Tiket #{ticket.number}" in alert.content
    assert f"<@{budi.id}>" in alert.content
    assert "tidak berada di bawah role bot **bot**" in alert.content
    assert "seret **bot** ke atas **VIP**" in alert.content
    assert vip.id not in _roles_of(sandbox, world, budi)
    grant = await RoleGrant.find_one({"ticket_id": ticket.id})
    assert grant.status is GrantStatus.WAITING
    assert grant.problem is RoleProblem.ROLE_TOO_HIGH
    assert timedelta(seconds=50) < grant.due_at - utcnow() <= timedelta(minutes=1)  # retried in a minute
    assert "bot terus mencoba" in role_grants.status_text(grant, "id")  # the ticket page's line

    # A retry while nothing changed: refused again, but the seller is not told twice.
    await _time_passes_until_due(grant.id)

    async def refused_twice():
        again = await RoleGrant.get(grant.id)
        return again if again.attempts == 2 else None

    again = await eventually(refused_twice, "the second attempt refused")
    assert timedelta(minutes=1, seconds=50) < again.due_at - utcnow() <= timedelta(minutes=2)  # backoff
    assert len(await seller_told()) == 1

    # The seller drags the bot's role above VIP; the next retry gives budi the role.
    _drag(sandbox, world, _role(sandbox, world, "bot"), 2)
    await _time_passes_until_due(grant.id)

    async def given():
        return vip.id in _roles_of(sandbox, world, budi)

    await eventually(given, "budi given the VIP role")
    done = await eventually(_granted(grant.id), "the grant recorded as given")
    assert done.problem is None
    assert abs(done.expires_at - (done.granted_at + timedelta(days=30))) < timedelta(seconds=1)
    assert "sampai" in role_grants.status_text(done, "id")


async def test_a_role_is_taken_back_when_it_expires_even_across_a_worker_restart(
    sandbox, world, store, cipher, settings, start_worker, relay_to_workers
):
    ticket, vip, worker = await _buy_and_pay(
        sandbox, world, store, settings, cipher, start_worker, bot_above=True
    )
    budi = world["buyer"]
    grant = await RoleGrant.find_one({"ticket_id": ticket.id})
    granted = await eventually(_granted(grant.id), "the grant recorded as given", within=40)
    assert vip.id in _roles_of(sandbox, world, budi)
    assert granted.due_at == granted.expires_at  # the expiry is the grant's timer, in MongoDB

    worker.kill()  # every worker dies; the 30 days pass meanwhile
    await _time_passes_until_due(grant.id, at=utcnow() - timedelta(seconds=1))
    await RoleGrant.get_pymongo_collection().update_one(
        {"_id": grant.id}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}}
    )
    assert vip.id in _roles_of(sandbox, world, budi)  # nobody took it back while nothing ran

    start_worker()

    async def taken_back():
        return vip.id not in _roles_of(sandbox, world, budi)

    await eventually(taken_back, "the expired VIP role taken back by the new worker", within=40)

    async def recorded():
        grant_now = await RoleGrant.get(grant.id)
        return grant_now if grant_now.status is GrantStatus.REMOVED else None

    removed = await eventually(recorded, "the grant recorded as taken back")
    assert removed.due_at is None
    assert "dicabut" in role_grants.status_text(removed, "id")


async def test_a_product_without_a_role_is_delivered_as_before_and_gives_none(
    sandbox, world, store, cipher, settings, start_worker, relay_to_workers
):
    await open_shop(sandbox, world, store, settings, cipher)
    plain = await automatic_product(cipher, items=1, name="Spotify 1 Bulan")
    start_worker()
    budi = world["buyer"]
    roles_before = _roles_of(sandbox, world, budi)
    ticket = await tickets.open_ticket(GUILD, plain.id, buyer(budi.id, "budi"))
    await tickets.verify(ticket.id, SELLER)

    async def delivered():
        return (await Ticket.get(ticket.id)).state is TicketState.COMPLETED

    await eventually(delivered, "the key delivered to budi")
    assert await RoleGrant.find_all().to_list() == []
    assert _roles_of(sandbox, world, budi) == roles_before


def test_the_sandbox_gives_a_role_only_as_discord_does(sandbox, world):
    """resources/guild.mdx "Add/Remove Guild Member Role": Manage Roles, and the role below
    the caller's highest role; unknown role 10011, unknown member 10007; 204 otherwise."""
    s = sandbox.server
    guild, budi = world["guild"], world["buyer"]
    below = on_sandbox(sandbox, lambda: s.add_role(guild, "Member"))
    bot_role = _role(sandbox, world, "bot")
    _drag(sandbox, world, bot_role, 2)  # bot above "Member"
    above = on_sandbox(sandbox, lambda: s.add_role(guild, "Admin"))
    headers = {"Authorization": f"Bot {world['token']}"}
    base = f"{sandbox.api_base}/guilds/{guild.id}/members"

    def put(user_id, role_id):
        return httpx.put(f"{base}/{user_id}/roles/{role_id}", headers=headers)

    assert put(budi.id, below.id).status_code == 204
    assert put(budi.id, below.id).status_code == 204  # already has it: still 204
    refused = put(budi.id, above.id)
    assert (refused.status_code, refused.json()["code"]) == (403, 50013)
    assert (put(budi.id, 123456789012345678).json()["code"]) == 10011
    assert (put(987654321098765432, below.id).json()["code"]) == 10007
    assert _roles_of(sandbox, world, budi) == [below.id]
    assert httpx.delete(f"{base}/{budi.id}/roles/{below.id}", headers=headers).status_code == 204
    assert _roles_of(sandbox, world, budi) == []

    # Without Manage Roles nothing is given, however high the bot's role.
    on_sandbox(sandbox, lambda: setattr(bot_role, "permissions", bot_role.permissions & ~(1 << 28)))
    _drag(sandbox, world, bot_role, 10)
    assert put(budi.id, below.id).json()["code"] == 50013


def test_why_a_role_is_refused_is_read_from_the_roles():
    guild = {
        "id": "1",
        "owner_id": "9",
        "roles": [
            {"id": "1", "name": "@everyone", "position": 0, "permissions": "0"},
            {"id": "2", "name": "bot", "position": 1, "permissions": str(1 << 28)},
            {"id": "3", "name": "VIP", "position": 2, "permissions": "0"},
            {"id": "4", "name": "Member", "position": 0, "permissions": "0"},
        ],
    }
    bot = {"user": {"id": "5"}, "roles": ["2"]}
    assert role_grants.diagnose(guild, bot, 3) == (RoleProblem.ROLE_TOO_HIGH, "bot")
    assert role_grants.diagnose(guild, bot, 77) == (RoleProblem.ROLE_GONE, "bot")
    weak = {**guild, "roles": [{**r, "permissions": "0"} for r in guild["roles"]]}
    assert role_grants.diagnose(weak, bot, 4)[0] is RoleProblem.NO_MANAGE_ROLES
    assert [role_grants.backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [
        60,
        120,
        240,
        3600,
        3600,
        3600,
    ]


async def test_a_product_gives_only_a_role_of_its_server_for_a_sensible_number_of_days(store, cipher):
    product = await automatic_product(cipher, items=1)
    roles = {111: "VIP", 222: "Member"}

    saved = await role_grants.set_role(GUILD, product.id, 111, 30, roles)
    assert (saved.role_id, saved.role_name, saved.role_days) == (111, "VIP", 30)
    stored = await Product.get(product.id)
    assert (stored.role_id, stored.role_name, stored.role_days) == (111, "VIP", 30)

    for role_id, days, said in (
        (333, None, "Role: role itu bukan role server ini; pilih dari daftar."),
        (GUILD, None, "Role: role itu bukan role server ini; pilih dari daftar."),  # @everyone
        (222, 0, "Role: jumlah hari 1 sampai 3650, atau kosongkan agar role berlaku selamanya."),
    ):
        try:
            await role_grants.set_role(GUILD, product.id, role_id, days, roles)
        except StoreError as refused:
            assert refused.in_locale("id") == said
        else:
            raise AssertionError(f"role {role_id} for {days} days was accepted")
    assert (await Product.get(product.id)).role_id == 111  # a refusal changes nothing

    cleared = await role_grants.set_role(GUILD, product.id, None, 30, roles)
    assert (cleared.role_id, cleared.role_name, cleared.role_days) == (None, "", None)
