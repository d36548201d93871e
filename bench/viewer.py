"""3D viewer benchmark: a visitor opens a product's public page whose model is the ~5 MB
sample (workflows.model_samples.gem_field), in a real browser (Debian's chromium, software
WebGL through SwiftShader), against the real dashboard in production mode.

Figures:
- first_frame_ms: navigation start → the first frame drawn with the model (the viewer records
  `window.__firstFrameMs` from `performance.now()`, whose zero is the navigation's start).
  Each visit is a fresh browser context (empty cache: the page, its JavaScript and the 5 MB
  model all fetched); one visit first to warm the server, then the median of `--visits`.
- js_kib: the JavaScript shipped for the viewer: the built chunk(s) holding three.js and the
  viewer (loaded only on pages that show a model), in KiB as built; their gzip size is
  printed too (what the server sends to a browser that accepts it).

Last line: BENCH viewer first_frame_ms=<n> js_kib=<n> (target: first frame under 1,500 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

import models  # noqa: E402
from bench._scratch import scratch  # noqa: E402
from discord_sandbox import DiscordSandbox  # noqa: E402
from launcher.embedded import child_env, free_port, start_mongod, start_redis  # noqa: E402
from tests.dashboard_driver import CHROMIUM, CHROMIUM_ARGS, DashboardProcess  # noqa: E402
from web import media  # noqa: E402
from workflows import model_samples, products  # noqa: E402

GUILD = 1_000_000_000_000_401
CLIENT_ID, CLIENT_SECRET = "900000000000000019", "bench-client-secret"
# Software WebGL, as in tests/test_dashboard_viewer.py.
WEBGL_ARGS = [*CHROMIUM_ARGS, "--enable-unsafe-swiftshader"]
ASSETS = ROOT / ".web" / "build" / "client" / "assets"
# Strings three.js and its glTF loader keep through minification: how the viewer's chunks are
# told apart from the rest of the dashboard's.
THREE_MARKERS = (b"__THREE__", b"KHR_materials_")


def shipped() -> tuple[list[str], int, int]:
    """The viewer's built chunks: (their names, bytes as built, bytes gzipped)."""
    chunks = sorted(
        path for path in ASSETS.glob("*.js") if any(marker in path.read_bytes() for marker in THREE_MARKERS)
    )
    gzipped = [Path(f"{path}.gz") for path in chunks]
    return (
        [path.name for path in chunks],
        sum(path.stat().st_size for path in chunks),
        sum(path.stat().st_size for path in gzipped if path.exists()),
    )


# When, after navigation start, the viewer's code and the model were asked for and had arrived
# (Resource Timing): [code asked, code arrived, model asked, model arrived].
ARRIVALS = """() => {
  const entry = (part) => performance.getEntriesByType("resource").find((e) => e.name.includes(part));
  const code = entry("/viewer3d"), model = entry(".glb");
  return [code.startTime, code.responseEnd, model.startTime, model.responseEnd];
}"""


async def first_frame(browser, address: str) -> list[float]:
    """One fresh visitor's navigation start → the viewer's code and the model asked for and
    arrived (ARRIVALS), then the first frame with the model, in ms."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        await page.goto(address)
        await page.wait_for_function("window.__firstFrameMs !== undefined", timeout=60_000)
        if await page.locator("#shop-viewer[data-state='ready']").count() != 1:
            raise RuntimeError("the viewer did not show the model")
        return [*await page.evaluate(ARRIVALS), float(await page.evaluate("window.__firstFrameMs"))]
    finally:
        await context.close()


async def main(args: argparse.Namespace, work: Path) -> None:
    mongo = start_mongod(work / "mongodb")
    redis = start_redis(work / "redis", persistent=False)
    sandbox = DiscordSandbox().start()
    port = free_port()

    def build():
        s = sandbox.server
        seller = s.add_user("seller")
        _, token = s.add_bot()
        s.add_guild("Bench shop", seller, guild_id=GUILD)
        s.add_oauth_app(CLIENT_ID, CLIENT_SECRET, f"http://127.0.0.1:{port}/auth/callback")
        return token

    token = sandbox.call(build)
    env = child_env(
        STORE_MONGODB_URL=mongo.url,
        STORE_MONGODB_DATABASE="bench",
        STORE_REDIS_URL=redis.url,
        STORE_SECRET_KEY="bench-" + "k" * 40,
        STORE_DATA_DIR=str(work / "data"),
        STORE_DISCORD_TOKEN=token,
        STORE_DISCORD_API_BASE_URL=sandbox.api_base,
        STORE_DISCORD_CLIENT_ID=CLIENT_ID,
        STORE_DISCORD_CLIENT_SECRET=CLIENT_SECRET,
        STORE_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    os.environ.update(env)  # this process keeps the model where the dashboard serves it from

    client = await models.connect(mongo.url, "bench")
    await products.open_store(GUILD, name="Bench shop")
    product = await products.create_product(
        GUILD, name="Gem field", price=75_000, delivery_mode="manual", stock=10
    )
    model = model_samples.gem_field()
    await products.set_model(GUILD, product.id, *await media.keep_model(GUILD, model))
    address = products.public_page_url(f"http://127.0.0.1:{port}", GUILD, product.id)
    dashboard = DashboardProcess(env, port, work / "dashboard.log")
    visits: list[list[float]] = []
    try:
        dashboard.wait_ready()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=WEBGL_ARGS)
            warm = await first_frame(browser, address)
            print(f"warm-up visit: {warm[-1]:.0f} ms (not counted)")
            for _ in range(args.visits):
                visits.append(await first_frame(browser, address))
            await browser.close()
    finally:
        dashboard.stop()
        await client.close()
        sandbox.stop()
        mongo.stop()
        redis.stop()
    names, raw, gz = shipped()
    times = [visit[-1] for visit in visits]
    code_asked, code_in, model_asked, model_in = (statistics.median(v[i] for v in visits) for i in range(4))
    print(
        f"medians after navigation start: viewer code asked {code_asked:.0f} ms, arrived {code_in:.0f} ms;"
        f" model asked {model_asked:.0f} ms, arrived {model_in:.0f} ms"
    )
    print(f"model: {len(model) / 1024 / 1024:.1f} MB; visits (ms): {', '.join(f'{t:.0f}' for t in times)}")
    print(f"first frame: median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms")
    print(f"viewer chunks: {', '.join(names)}: {raw / 1024:.0f} KiB, gzip {gz / 1024:.0f} KiB")
    print(f"BENCH viewer first_frame_ms={statistics.median(times):.0f} js_kib={raw / 1024:.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=5)
    arguments = parser.parse_args()
    with scratch("bench-viewer-") as work:
        asyncio.run(main(arguments, work))
