"""A worker-like process for tests/test_request_budget.py: it posts messages to Discord (the
sandbox) through `RestDiscord`, the way a worker does, drawing on the shared request budget.

`python -m tests.budget_client` reads one JSON line on stdin:
  {"api_base", "redis_url", "token", "priority": "high"|"low", "channels": [ids],
   "budget": true|false}
logs in, prints "ready", waits for a line "go", posts one message per channel all at once,
and prints one JSON line: {"posted", "errors", "latencies_s"} (each post's time from "go").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time

from workers.discord import OutgoingMessage
from workers.discord_budget import RequestBudget, low_priority
from workers.discord_rest import RestDiscord, point_at


async def main() -> None:
    job = json.loads(sys.stdin.readline())
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s")
    point_at(job["api_base"])
    budget = RequestBudget(job["redis_url"], job["token"]) if job.get("budget", True) else None
    discord = RestDiscord(job["token"], budget)
    await discord._call(discord.http.get_user("@me"))  # log in before the clock starts
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    start = time.monotonic()
    latencies: list[float] = []
    errors: list[str] = []

    async def post(channel_id: int) -> None:
        try:
            await discord.post(channel_id, OutgoingMessage(content=f"posted to {channel_id}"))
            latencies.append(time.monotonic() - start)
        except Exception as error:  # reported to the test, which asserts there are none
            errors.append(f"{type(error).__name__}: {error}")

    marked = low_priority() if job["priority"] == "low" else contextlib.nullcontext()
    with marked:
        await asyncio.gather(*(post(c) for c in job["channels"]))
    print(json.dumps({"posted": len(latencies), "errors": errors, "latencies_s": latencies}), flush=True)
    await discord.close()


if __name__ == "__main__":
    asyncio.run(main())
