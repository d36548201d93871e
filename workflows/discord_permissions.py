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
