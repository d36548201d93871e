"""Reflex configuration: the dashboard app lives in `web/` (its build toolchain: web/toolchain.py)."""

import reflex as rx

config = rx.Config(
    app_name="web",
    app_module_import="web.app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
