"""`./store run` from an empty data directory, without a Discord token: everything comes up in
sandbox mode, a scripted buyer completes a purchase through the demo Discord, the data is still
there after a restart, and after Ctrl-C no process of the store remains."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pymongo import MongoClient

from tests.conftest import ROOT
from tests.dashboard_driver import free_port

pytestmark = pytest.mark.timeout(900)


class Store:
    """One `python -m launcher.launch` (what `./store run` execs), read line by line."""

    def __init__(self, data_dir: Path, ports: dict[str, int], background: bool = False) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORE_")}
        env.update(
            STORE_DATA_DIR=str(data_dir),
            STORE_PUBLIC_URL=f"http://127.0.0.1:{ports['dashboard']}",
            STORE_SECRET_KEY="launcher-test-" + "s" * 32,
            PYTHONUNBUFFERED="1",
        )
        self.output = data_dir.parent / f"launch-{time.time_ns()}.out"
        self._out = self.output.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "launcher.launch",
                "--processes",
                "1",
                "--threads",
                "4",
                "--sandbox-port",
                str(ports["sandbox"]),
                "--mongodb-port",
                str(ports["mongodb"]),
                "--redis-port",
                str(ports["redis"]),
            ],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            # As a shell starts `./store run &`: SIGINT inherited as ignored. In the foreground
            # it is a terminal's job: a process group of its own that Ctrl-C signals as a whole.
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if background else None,
            start_new_session=not background,
        )
        self.background = background

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for(self, marker: str, within: float = 400) -> str:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            text = self.text()
            if marker in text:
                return text
            if self.process.poll() is not None:
                raise AssertionError(f"the store exited ({self.process.returncode}):\n{text[-4000:]}")
            time.sleep(0.5)
        raise AssertionError(f"no {marker!r} after {within} s:\n{self.text()[-4000:]}")

    def status(self) -> dict[str, dict[str, str]]:
        """The status table, by component name."""
        table = self.text().split("The store is running:")[1].split("\n\n")[0].strip().splitlines()
        rows = {}
        for line in table[2:]:
            cells = re.split(r"\s{2,}", line.strip())
            rows[cells[0]] = {"health": cells[1], "where": cells[2], "pid": cells[3]}
        return rows

    def descendants(self) -> set[int]:
        """Every process the store started (children's children too), from /proc."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, todo = set(), [self.process.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.add(child)
                todo.append(child)
        return found

    def hang_up(self) -> int:
        """The terminal closes: the shell sends SIGHUP to its jobs."""
        self.process.send_signal(signal.SIGHUP)
        return self._stopped()

    def ctrl_c(self) -> int:
        """Ctrl-C as a terminal sends it: to the whole foreground group (the launcher alone
        when it runs in the background, where the terminal's Ctrl-C does not reach it)."""
        if self.background:
            self.process.send_signal(signal.SIGINT)
        else:
            os.killpg(self.process.pid, signal.SIGINT)
        return self._stopped()

    def _stopped(self) -> int:
        code = self.process.wait(120)
        self._out.close()
        return code


class DemoDiscord:
    """The demo Discord's control API, acting as its people."""

    def __init__(self, world: dict) -> None:
        self.world, self.base = world, world["base_url"]

    def _call(self, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def messages(self, channel_id) -> list[dict]:
        return self._call(f"/_sandbox/channels/{channel_id}/messages")

    def state(self) -> dict:
        return self._call("/_sandbox/state")

    def click(self, user, channel_id, message_id, custom_id, values=None):
        body = {
            "user_id": str(user),
            "channel_id": str(channel_id),
            "message_id": str(message_id),
            "custom_id": custom_id,
        }
        if values is not None:
            body.update(component_type=3, values=values)
        return self._call("/_sandbox/click", body)

    def submit(self, user, channel_id, custom_id, fields):
        return self._call(
            "/_sandbox/modal",
            {"user_id": str(user), "channel_id": str(channel_id), "custom_id": custom_id, "fields": fields},
        )


def eventually(probe, what: str, within: float = 30):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for every purpose but its exit status
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _kill_leftovers(pids: set[int]) -> list[int]:
    """Those of `pids` still running, killed so that a failing test leaves nothing behind."""
    leftovers = sorted(pid for pid in pids if _alive(pid))
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return leftovers


def _buy_netflix(discord: DemoDiscord) -> str:
    world = discord.world
    buyer, seller, shop = world["buyer_id"], world["seller_id"], world["shop_channel_id"]
    panel = eventually(
        lambda: [m for m in discord.messages(shop) if m["embeds"] and m["author"]["bot"]], "the panel"
    )[-1]
    assert "Netflix Premium 1 Bulan" in json.dumps(panel["embeds"])
    discord.click(buyer, shop, panel["id"], "buy_btn")

    def menu():
        return [m for m in discord.messages(shop) if "buy_select" in json.dumps(m["components"])]

    choice = eventually(menu, "the product menu")[-1]
    select = choice["components"][0]["components"][0]
    netflix = next(o for o in select["options"] if o["label"] == "Netflix Premium 1 Bulan")
    discord.click(buyer, shop, choice["id"], select["custom_id"], values=[netflix["value"]])

    def ticket_channel():
        return [c for c in discord.state()["channels"] if c.get("name", "").startswith("ticket-budi")]

    channel = eventually(ticket_channel, "the ticket channel")[0]["id"]

    def opening():
        return [m for m in discord.messages(channel) if "paid:" in json.dumps(m["components"])]

    message = eventually(opening, "the purchase instructions")[0]
    ticket_id = next(
        c["custom_id"].split(":")[1]
        for row in message["components"]
        for c in row["components"]
        if c["custom_id"].startswith("paid:")
    )
    discord.click(buyer, channel, message["id"], f"paid:{ticket_id}")
    eventually(
        lambda: [m for m in discord.state()["modals"] if m.get("custom_id") == f"report:{ticket_id}"],
        "the payment modal",
    )
    discord.submit(buyer, channel, f"report:{ticket_id}", {"reference": "BCA a.n. BUDI"})

    def verify_request():
        return [m for m in discord.messages(channel) if f"verify:{ticket_id}" in json.dumps(m["components"])]

    request = eventually(verify_request, "the sellers asked to verify")[0]
    discord.click(seller, channel, request["id"], f"verify:{ticket_id}")

    def delivered():
        dms = [c for c in discord.state()["channels"] if c["type"] == 1]
        return [
            m["content"]
            for c in dms
            if any(r["id"] == str(buyer) for r in c.get("recipients", []))
            for m in discord.messages(c["id"])
            if "netflix1@demo.test" in m["content"]
        ]

    assert eventually(delivered, "the key in the buyer's DMs")
    return ticket_id


def test_one_command_runs_the_whole_store_in_sandbox_mode_and_stops_cleanly(tmp_path):
    data_dir = tmp_path / "data"
    ports = {name: free_port() for name in ("dashboard", "sandbox", "mongodb", "redis")}

    first = Store(data_dir, ports)
    try:
        out = first.wait_for("Ctrl-C stops everything")
        assert "seeded the demo store" in out
        assert "starting the dashboard (production build)" in out  # a new port: built
        status = first.status()
        assert set(status) == {"mongodb", "redis", "discord sandbox", "workers", "bot", "dashboard"}
        assert all(row["health"] == "up" for row in status.values()), status
        pids = [int(row["pid"]) for row in status.values() if row["pid"].isdigit()]
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['dashboard']}/login", timeout=10) as page:
            assert page.status == 200

        world = json.loads((data_dir / "sandbox.json").read_text())
        ticket_id = _buy_netflix(DemoDiscord(world))
        started = first.descendants()  # e.g. Dramatiq's worker processes, not in the table
        assert set(pids) <= started and len(started) > len(pids)
    finally:
        code = first.ctrl_c()
    assert code == 0 and "store stopped" in first.text()
    assert "did not stop" not in first.text()  # every part stopped by itself, in order
    leftovers = _kill_leftovers(started)
    assert leftovers == [], f"still running after Ctrl-C: {leftovers}"
    for port in ports.values():  # nothing listens any more
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)

    second = Store(data_dir, ports, background=True)
    try:
        out = second.wait_for("Ctrl-C stops everything")
        assert "the demo store from the last run is still there" in out
        # Nothing the dashboard is made from changed: its build is served again, not redone.
        assert "its production build is up to date" in out
        mongo = MongoClient(f"mongodb://127.0.0.1:{ports['mongodb']}/?directConnection=true")
        ticket = mongo["store"]["tickets"].find_one({"_id": __import__("bson").ObjectId(ticket_id)})
        assert ticket is not None and ticket["state"] in ("completed", "closed")
        mongo.close()
    finally:
        assert second.ctrl_c() == 0

    third = Store(data_dir, ports)  # and the terminal it runs in is closed
    try:
        third.wait_for("Ctrl-C stops everything")
        started = third.descendants()
    finally:
        code = third.hang_up()
    assert code == 0 and "store stopped" in third.text()
    assert _kill_leftovers(started) == []


def test_a_component_that_cannot_start_is_named_with_its_log_and_nothing_is_left(tmp_path):
    import socket

    ports = {name: free_port() for name in ("dashboard", "sandbox", "mongodb", "redis")}
    with socket.socket() as taken:  # something else already holds the sandbox's port
        taken.bind(("127.0.0.1", ports["sandbox"]))
        taken.listen()
        store = Store(tmp_path / "data", ports)
        code = store.process.wait(120)
        store._out.close()
    out = store.text()
    assert code == 1
    assert (
        "failed to start: discord sandbox" in out and str(tmp_path / "data" / "logs" / "sandbox.log") in out
    )
    assert "store stopped" in out  # the databases it had started were stopped again
    for port in (ports["mongodb"], ports["redis"]):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
