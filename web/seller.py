"""The state every store page shares: who is logged in, which store, and the server-side check
that this session may run this store, made again on every page load and every action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import reflex as rx

from web import access
from web.access import SellerAccess
from workflows.errors import InvalidInput, StoreError


def day_bound(value: str, end: bool = False) -> datetime | None:
    """A date typed in a date picker (YYYY-MM-DD) as the start of that UTC day, or with `end`
    the start of the next one; None when empty."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise StoreError("dates: use the date picker (YYYY-MM-DD)") from None
    return day + timedelta(days=1) if end else day


class SellerState(rx.State):
    """Parameters: none; the store comes from the page's URL (`/store/<guild>/…`)."""

    user_name: str = ""
    store_name: str = ""
    store_guild: str = ""
    refusal: str = ""
    error: str = ""
    notice: str = ""
    # The store's language and currency (backend only): refusals are said in them.
    _locale: str = "id"
    _currency: str = "IDR"

    def _cookie(self) -> str:
        return self.router.headers.cookie

    def _path_part(self, index: int) -> str:
        """A segment of the page's path: `/store/<guild>/tickets/<ticket>` → 1 is the guild."""
        parts = self.router.url.path.strip("/").split("/")
        return parts[index] if len(parts) > index else ""

    async def _access(self) -> SellerAccess:
        """Raises access.Refused; every event handler calls this first."""
        checked = await access.check(self._cookie(), self._path_part(1))
        self.user_name = checked.session.username
        self.store_name = checked.store.name
        self.store_guild = str(checked.guild_id)
        self._locale, self._currency = checked.store.locale, checked.store.currency
        return checked

    def _failed(self, error: Exception) -> rx.event.EventSpec:
        """Show a refusal or a bad-input message; nothing was changed."""
        self.notice = ""
        # A model's refusal names the field in the shop's words and in the store's language.
        said = str(error)
        if isinstance(error, InvalidInput):
            said = error.in_locale(self._locale, self._currency)
        self.error = said
        return rx.toast.error(said)

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
            if "log in" in str(refused):
                return rx.redirect("/login")
            self.refusal = str(refused)
            self.store_name = ""
            return None
        self.refusal = ""
        return checked


__all__ = ["SellerState", "StoreError", "access"]
