"""The state every store page shares: who is logged in, which store, the language the seller
reads, and the server-side check that this session may run this store, made again on every
page load and every action (`seller_action`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Concatenate, ParamSpec

import reflex as rx

from web import access
from web.access import SellerAccess
from web.i18n import LanguageState, say, tx
from workflows.errors import StoreError

P = ParamSpec("P")


def day_bound(value: str, end: bool = False) -> datetime | None:
    """A date typed in a date picker (YYYY-MM-DD) as the start of that UTC day, or with `end`
    the start of the next one; None when empty."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise StoreError("dates: use the date picker (YYYY-MM-DD)", key="date_picker") from None
    return day + timedelta(days=1) if end else day


def refusal_text(why: rx.Var) -> rx.Var:
    """A page's refusal in the seller's language (it follows the language switch)."""
    return rx.match(why, *[(reason.value, tx(f"access.{reason.value}")) for reason in access.Why], "")


class SellerState(LanguageState):
    """Parameters: none; the store comes from the page's URL (`/store/<guild>/…`)."""

    user_name: str = ""
    store_name: str = ""
    store_guild: str = ""
    refusal: str = ""  # why the page is refused (an access.Why): the page says it (`refusal_text`)
    error: str = ""
    notice: str = ""
    # The store's currency (backend only): amounts in refusals are written in it.
    _currency: str = "IDR"

    def _cookie(self) -> str:
        return self.router.headers.cookie

    def _path_part(self, index: int) -> str:
        """A segment of the page's path: `/store/<guild>/tickets/<ticket>` → 1 is the guild."""
        parts = self.router.url.path.strip("/").split("/")
        return parts[index] if len(parts) > index else ""

    async def _access(self) -> SellerAccess:
        """Raises access.Refused; every event handler runs it first (see `seller_action`)."""
        checked = await access.check(self._cookie(), self._path_part(1))
        self.user_name = checked.session.username
        self.store_name = checked.store.name
        self.store_guild = str(checked.guild_id)
        self._settle_language(checked.store.locale)
        self._currency = checked.store.currency
        return checked

    def _say(self, key: str, **values: Any) -> str:
        """A dashboard text in the seller's language."""
        return say(self.lang, key, **values)

    def _refusal_text(self, error: Exception) -> str:
        if isinstance(error, access.Refused):
            return self._say(f"access.{error.why}")
        if isinstance(error, StoreError):
            # Named field, allowed values, in the seller's language ("Harga: paling banyak …").
            return error.in_locale(self.lang, self._currency)
        return str(error)

    def _failed(self, error: Exception) -> rx.event.EventSpec:
        """Show a refusal or a bad-input message; nothing was changed."""
        self.notice = ""
        self.error = self._refusal_text(error)
        return rx.toast.error(self.error)

    def _done(self, message: str) -> rx.event.EventSpec:
        self.error = ""
        self.notice = message
        return rx.toast.success(message)

    async def _enter(self) -> SellerAccess | rx.event.EventSpec | None:
        """For on_load: the access, or a redirect to the login page, or None (refused, shown)."""
        self.error = self.notice = ""
        try:
            checked = await self._access()
        except access.Refused as refused:
            if refused.why is access.Why.LOG_IN:
                return rx.redirect("/login")
            self._settle_language()
            self.refusal = refused.why
            self.store_name = ""
            return None
        self.refusal = ""
        return checked


Action = Callable[Concatenate[Any, SellerAccess, P], Awaitable[Any]]


def seller_action(handler: Action[P]) -> Callable[Concatenate[Any, P], Awaitable[Any]]:
    """An event handler that runs only for a seller of the page's store: the access is checked
    first and handed to the handler as its second argument; a refusal or a StoreError the
    handler raises becomes the red message in the seller's language, and nothing changed.

        @seller_action
        async def add(self, checked: SellerAccess, form: dict): ...
    """

    @functools.wraps(handler)
    async def run(self: SellerState, *args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            checked = await self._access()
            return await handler(self, checked, *args, **kwargs)
        except (access.Refused, StoreError) as error:
            return self._failed(error)

    # Reflex reads a handler's parameters to bind the page's arguments: it must not see `checked`.
    signature = inspect.signature(handler)
    kept = [p for i, p in enumerate(signature.parameters.values()) if i != 1]
    run.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
    second = list(signature.parameters)[1]
    run.__annotations__ = {k: v for k, v in handler.__annotations__.items() if k != second}
    return run


def page_entry(handler: Callable[[Any, SellerAccess], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
    """An on_load handler that runs only for a seller of the page's store: a visitor not logged
    in goes to /login, a refused one sees why; the handler gets the access."""

    @functools.wraps(handler)
    async def run(self: SellerState) -> Any:
        checked = await self._enter()
        if not isinstance(checked, SellerAccess):
            return checked
        try:
            return await handler(self, checked)
        except StoreError as error:
            return self._failed(error)

    run.__signature__ = inspect.Signature([inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)])  # type: ignore[attr-defined]
    run.__annotations__ = {}
    return run


__all__ = [
    "SellerAccess",
    "SellerState",
    "StoreError",
    "access",
    "page_entry",
    "refusal_text",
    "seller_action",
]
