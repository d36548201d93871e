"""The Reflex app: the seller dashboard's pages, plus plain HTTP routes on the same backend
(Discord login, payment webhooks, media), and the database connection for its lifetime."""

from __future__ import annotations

import logging
import sys

import reflex as rx
from reflex.event import EventSpec
from starlette.applications import Starlette

from web import exports, live, media, oauth
from web.database import connected
from web.i18n import tx
from web.pages.analytics import AnalyticsState, analytics_page
from web.pages.audit import AuditState, audit_page
from web.pages.blacklist import BlacklistState, blacklist_page
from web.pages.coupons import CouponsState, coupons_page
from web.pages.export import ExportState, export_page
from web.pages.login import login
from web.pages.ops import OpsState, ops_page
from web.pages.panel import PanelState, panel_page
from web.pages.payment_methods import PaymentMethodsState, payment_methods_page
from web.pages.payments import PaymentsState, payments_page
from web.pages.products import ProductsState, products_page
from web.pages.sandbox import SandboxState, sandbox_page
from web.pages.settings import SettingsState, settings_page
from web.pages.setup import SetupState, setup_page
from web.pages.shop_product import ShopProductState, shop_product_page
from web.pages.stores import StoresState, stores
from web.pages.ticket import TicketDetailState, ticket_page
from web.pages.tickets import TicketsState, tickets_page
from web.pages.wallets import WalletsState, wallets_page
from web.webhooks import ROUTES as WEBHOOK_ROUTES

routes = Starlette(routes=[*oauth.ROUTES, *WEBHOOK_ROUTES, *media.ROUTES, *exports.ROUTES])

log = logging.getLogger("web")
_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
log.addHandler(_handler)


def unexpected(exception: Exception) -> EventSpec:
    """A handler failed in a way no refusal foresaw: the operator gets the traceback in the
    dashboard's log (Reflex's own handler prints nothing at the log level we run with), the seller
    a calm message in both languages (the failing handler's state, and so its language, is not
    at hand here), never Python's words."""
    log.error("dashboard handler failed", exc_info=exception)
    return rx.toast.error(
        "Terjadi kesalahan, coba lagi sebentar lagi. / Something went wrong, please try again shortly.",
        id="unexpected",
    )


app = rx.App(api_transformer=routes, backend_exception_handler=unexpected)
live.serve(app)
app.register_lifespan_task(connected)

STORE = "/store/[guild]"
app.add_page(login, route="/login", title=tx("login.log_in"))
app.add_page(stores, route="/", title=tx("stores.title"), on_load=StoresState.load)
app.add_page(tickets_page, route=f"{STORE}/tickets", title=tx("frame.nav.tickets"), on_load=TicketsState.load)
app.add_page(
    ticket_page, route=f"{STORE}/tickets/[ticket]", title=tx("ticket.title"), on_load=TicketDetailState.load
)
app.add_page(
    products_page, route=f"{STORE}/products", title=tx("frame.nav.products"), on_load=ProductsState.load
)
app.add_page(
    payment_methods_page,
    route=f"{STORE}/payment-methods",
    title=tx("frame.nav.payment-methods"),
    on_load=PaymentMethodsState.load,
)
app.add_page(
    payments_page, route=f"{STORE}/payments", title=tx("frame.nav.payments"), on_load=PaymentsState.load
)
app.add_page(wallets_page, route=f"{STORE}/wallets", title=tx("frame.nav.wallets"), on_load=WalletsState.load)
app.add_page(coupons_page, route=f"{STORE}/coupons", title=tx("frame.nav.coupons"), on_load=CouponsState.load)
app.add_page(
    blacklist_page, route=f"{STORE}/blacklist", title=tx("frame.nav.blacklist"), on_load=BlacklistState.load
)
app.add_page(audit_page, route=f"{STORE}/audit", title=tx("frame.nav.audit"), on_load=AuditState.load)
app.add_page(panel_page, route=f"{STORE}/panel", title=tx("frame.nav.panel"), on_load=PanelState.load)
app.add_page(
    analytics_page, route=f"{STORE}/analytics", title=tx("frame.nav.analytics"), on_load=AnalyticsState.load
)
app.add_page(export_page, route=f"{STORE}/export", title=tx("frame.nav.export"), on_load=ExportState.load)
app.add_page(
    settings_page, route=f"{STORE}/settings", title=tx("frame.nav.settings"), on_load=SettingsState.load
)
app.add_page(setup_page, route=f"{STORE}/setup", title=tx("frame.nav.setup"), on_load=SetupState.load)
app.add_page(ops_page, route="/ops", title=tx("frame.nav.ops"), on_load=OpsState.load)
app.add_page(sandbox_page, route="/sandbox", title=tx("frame.nav.sandbox"), on_load=SandboxState.load)
# A product's public page (no login): what the panel's "Lihat 3D" button opens.
app.add_page(
    shop_product_page,
    route="/shop/[guild]/products/[product_id]",
    title=ShopProductState.title,
    on_load=ShopProductState.load,
)
