"""The Discord permissions the store asks a seller to grant its bot, in one place.

The README's invite link quotes `REQUIRED`; the demo world and every test give the bot exactly
these (never Administrator), so what works in the tests works for a seller who followed the
README. Bit values: https://discord.com/developers/docs/topics/permissions#permissions-bitwise-permission-flags
"""

from __future__ import annotations

from enum import IntFlag


class Permission(IntFlag):
    """The permission bits the store reads or asks for (Discord's own values)."""

    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MANAGE_ROLES = 1 << 28


# Why each: ticket channels are created (Manage Channels) with permission overwrites for the
# buyer and seller roles (Manage Roles); the panel, instructions and transcripts are posted with
# embeds and files; the panel's own old messages are cleaned up (Manage Messages).
REQUIRED = (
    Permission.MANAGE_CHANNELS
    | Permission.MANAGE_ROLES
    | Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.MANAGE_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
)
assert int(REQUIRED) == 268561424  # the integer the README's invite quotes

# The names Discord's client shows a seller, in the order its settings list them. In a
# channel's or category's Permissions tab Manage Roles is called "Manage Permissions"
# (topics/permissions.mdx, note under "Bitwise Permission Flags").
SERVER_NAMES: dict[Permission, str] = {
    Permission.MANAGE_CHANNELS: "Manage Channels",
    Permission.MANAGE_ROLES: "Manage Roles",
    Permission.VIEW_CHANNEL: "View Channels",
    Permission.SEND_MESSAGES: "Send Messages",
    Permission.EMBED_LINKS: "Embed Links",
    Permission.ATTACH_FILES: "Attach Files",
    Permission.MANAGE_MESSAGES: "Manage Messages",
    Permission.READ_MESSAGE_HISTORY: "Read Message History",
}
CHANNEL_NAMES: dict[Permission, str] = {
    **SERVER_NAMES,
    Permission.MANAGE_CHANNELS: "Manage Channel",
    Permission.MANAGE_ROLES: "Manage Permissions",
    Permission.VIEW_CHANNEL: "View Channel",
}

# What workflows/ticket_channel.py allows on every ticket channel it describes (buyer and
# seller roles; the bot on itself), plus the @everyone deny of View Channel. Discord lets the bot
# allow or deny only permissions it has itself where the channel is made (resources/guild.mdx
# "Create Guild Channel"; resources/channel.mdx "Modify Channel": "in the guild or parent
# channel"), so the bot needs all of these in each ticket category. Keep both in step.
TICKET_CHANNEL_GRANTS = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.MANAGE_CHANNELS
)

ALL = Permission((1 << 53) - 1)


def names(permissions: Permission, in_channel: bool = True) -> list[str]:
    """The names a seller sees for `permissions`, in the client's order."""
    table = CHANNEL_NAMES if in_channel else SERVER_NAMES
    return [name for bit, name in table.items() if permissions & bit]


def _bits(value: object) -> int:
    return int(str(value or 0))


def base_permissions(guild: dict, member: dict) -> Permission:
    """What a member may do in the guild before any channel overwrite: @everyone's and their
    roles' permissions; everything for the owner and administrators.

    topics/permissions.mdx "Permission Overwrites", `compute_base_permissions`. `guild` is the
    guild object of GET /guilds/{id} (owner_id, roles); `member` a guild member object.
    """
    user_id = str((member.get("user") or {}).get("id", ""))
    if user_id and user_id == str(guild.get("owner_id")):
        return ALL
    roles = {str(r["id"]): _bits(r.get("permissions")) for r in guild.get("roles") or []}
    permissions = roles.get(str(guild["id"]), 0)
    for role_id in member.get("roles") or []:
        permissions |= roles.get(str(role_id), 0)
    if permissions & Permission.ADMINISTRATOR:
        return ALL
    return Permission(permissions & ALL)


def channel_permissions(guild: dict, member: dict, channel: dict | None) -> Permission:
    """What a member may do in `channel` (a channel object with `permission_overwrites`), or in
    the guild when `channel` is None.

    topics/permissions.mdx "Permission Overwrites" (`compute_overwrites`: @everyone, then the
    member's roles together, then the member), and "Implicit Permissions": without View
    Channel nothing else counts; without Send Messages neither do Embed Links nor Attach Files.
    """
    base = base_permissions(guild, member)
    if base == ALL or channel is None:
        return base
    overwrites = {str(o["id"]): o for o in channel.get("permission_overwrites") or []}
    permissions = int(base)

    def apply(overwrite: dict | None) -> None:
        nonlocal permissions
        if overwrite:
            permissions = (permissions & ~_bits(overwrite.get("deny"))) | _bits(overwrite.get("allow"))

    apply(overwrites.get(str(guild["id"])))
    allow = deny = 0
    for role_id in member.get("roles") or []:
        role_overwrite = overwrites.get(str(role_id))
        if role_overwrite:
            allow |= _bits(role_overwrite.get("allow"))
            deny |= _bits(role_overwrite.get("deny"))
    permissions = (permissions & ~deny) | allow
    apply(overwrites.get(str((member.get("user") or {}).get("id", ""))))
    if not permissions & Permission.VIEW_CHANNEL:
        return Permission(0)
    if not permissions & Permission.SEND_MESSAGES:
        permissions &= ~(Permission.EMBED_LINKS | Permission.ATTACH_FILES)
    return Permission(permissions & ALL)
