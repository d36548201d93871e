"""A local Discord for tests, benchmarks and the demo mode; production code never imports it."""

from discord_sandbox.server import DiscordSandbox, SandboxServer

__all__ = ["DiscordSandbox", "SandboxServer"]
