"""The sandbox's world kept on disk, so the demo Discord remembers it across restarts as Discord
would: people (with their bots' tokens), guilds with roles and members, channels (ticket
channels, DMs) and their messages with attachments.

What lives only as long as a connection is not kept: gateway sessions, interactions (their
tokens last 15 minutes on Discord anyway), rate-limit buckets, nonces.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from discord_sandbox.state import Attachment, Channel, Guild, Member, Message, Overwrite, Role, User

FORMAT = 1


def snapshot(server: Any) -> dict[str, Any]:
    """Everything of `server` (a SandboxServer) a restart must keep, as JSON-ready data.
    Call it on the sandbox's loop (DiscordSandbox.call), where its state is touched."""
    return {
        "format": FORMAT,
        "users": [
            {"id": u.id, "username": u.username, "bot": u.bot, "dms_open": u.dms_open}
            for u in server.users.values()
        ],
        "tokens": dict(server.tokens),
        "privileged_intents": {str(k): v for k, v in server.privileged_intents.items()},
        "guilds": [
            {
                "id": g.id,
                "name": g.name,
                "owner_id": g.owner_id,
                "roles": [
                    {"id": r.id, "name": r.name, "permissions": r.permissions, "position": r.position}
                    for r in g.roles.values()
                ],
                "members": [{"user_id": m.user.id, "roles": list(m.roles)} for m in g.members.values()],
            }
            for g in server.guilds.values()
        ],
        "channels": [
            {
                "id": c.id,
                "type": c.type,
                "name": c.name,
                "guild_id": c.guild_id,
                "parent_id": c.parent_id,
                "position": c.position,
                "overwrites": [[o.id, o.type, o.allow, o.deny] for o in c.overwrites],
                "recipient_id": c.recipient_id,
                "topic": c.topic,
            }
            for c in server.channels.values()
        ],
        "messages": [
            {
                "id": m.id,
                "channel_id": m.channel_id,
                "author_id": m.author.id,
                "content": m.content,
                "embeds": m.embeds,
                "components": m.components,
                "attachments": [
                    {
                        "id": a.id,
                        "filename": a.filename,
                        "content_type": a.content_type,
                        "data": base64.b64encode(a.data).decode(),
                    }
                    for a in m.attachments
                ],
                "flags": m.flags,
                "nonce": m.nonce,
                "created": m.created,
                "edited": m.edited,
                "interaction_id": m.interaction_id,
                "interaction_metadata": m.interaction_metadata,
            }
            for channel in server.messages.values()
            for m in channel.values()
            if m.channel_id in server.channels  # a deleted channel's messages went with it
        ],
    }


def restore(server: Any, data: dict[str, Any]) -> None:
    """Put a `snapshot` back into a fresh `server` (before anyone connects)."""
    users = {
        int(u["id"]): User(int(u["id"]), u["username"], bool(u["bot"]), bool(u["dms_open"]))
        for u in data["users"]
    }
    server.users.update(users)
    server.tokens.update({k: int(v) for k, v in data["tokens"].items()})
    server.privileged_intents.update({int(k): int(v) for k, v in data["privileged_intents"].items()})
    for g in data["guilds"]:
        guild = Guild(int(g["id"]), g["name"], int(g["owner_id"]))
        for r in g["roles"]:
            guild.roles[int(r["id"])] = Role(
                int(r["id"]), r["name"], int(r["permissions"]), int(r["position"])
            )
        for m in g["members"]:
            if int(m["user_id"]) in users:
                guild.members[int(m["user_id"])] = Member(
                    users[int(m["user_id"])], [int(r) for r in m["roles"]]
                )
        server.guilds[guild.id] = guild
    for c in data["channels"]:
        server.channels[int(c["id"])] = Channel(
            int(c["id"]),
            int(c["type"]),
            c["name"],
            c["guild_id"],
            c["parent_id"],
            int(c["position"]),
            [Overwrite(int(i), int(t), int(a), int(d)) for i, t, a, d in c["overwrites"]],
            c["recipient_id"],
            c["topic"],
        )
    for m in data["messages"]:
        author = users.get(int(m["author_id"]))
        if author is None or int(m["channel_id"]) not in server.channels:
            continue
        files = [
            Attachment(int(a["id"]), a["filename"], a["content_type"], base64.b64decode(a["data"]))
            for a in m["attachments"]
        ]
        message = Message(
            int(m["id"]),
            int(m["channel_id"]),
            author,
            m["content"],
            m["embeds"],
            m["components"],
            files,
            flags=int(m["flags"]),
            nonce=m["nonce"],
            created=float(m["created"]),
            edited=m["edited"],
            interaction_id=m["interaction_id"],
            interaction_metadata=m["interaction_metadata"],
        )
        server.messages[message.channel_id][message.id] = message


def load(path: Path) -> dict[str, Any] | None:
    """The world saved at `path`, or None when there is none (or it is from another format)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def save(path: Path, data: dict[str, Any]) -> None:
    """Write `data` to `path` whole or not at all: a crash mid-write leaves the previous world."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)
