"""Domain errors: each says, in the shop's words, why nothing was done.

Every error here is raised *before* anything is written (or after what was written has been
undone), so a caller can show `str(error)` to the person who acted and carry on.
"""

from __future__ import annotations

from pydantic import ValidationError


class StoreError(Exception):
    """Base of every refusal the store gives. `code` is stable for translations and APIs."""

    code = "store_error"


class InvalidInput(StoreError):
    """The input does not make sense (a negative price, a quantity of 2.5, a broken QRIS)."""

    code = "invalid_input"

    @classmethod
    def explaining(cls, error: ValidationError, prefix: str = "") -> InvalidInput:
        """A model's validation failure as one message naming each bad field."""
        return cls(
            "; ".join(
                f"{prefix}{'.'.join(str(p) for p in item['loc']) or 'value'}: {item['msg']}"
                for item in error.errors()
            )
        )


class StoreNotFound(StoreError):
    """No store in that guild."""

    code = "store_not_found"


class ProductNotFound(StoreError):
    """No such product in this store."""

    code = "product_not_found"


class ProductUnavailable(StoreError):
    """The product exists but is not on sale."""

    code = "product_unavailable"


class SoldOut(StoreError):
    """Not enough stock for the quantity asked; `product` names it."""

    code = "sold_out"

    def __init__(self, message: str, product: str = "") -> None:
        super().__init__(message)
        self.product = product


class TooManyOpenTickets(StoreError):
    """The buyer already holds the store's maximum of open tickets."""

    code = "too_many_open_tickets"


class CooldownActive(StoreError):
    """The buyer opened a ticket too recently; `retry_after_s` says how long to wait."""

    code = "cooldown"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NoUniqueAmountLeft(StoreError):
    """All 999 unique codes of this price are taken by open tickets."""

    code = "no_unique_amount"


class TicketNotFound(StoreError):
    """No such ticket."""

    code = "ticket_not_found"


class UnknownTrigger(StoreError):
    """A trigger name the ticket machine does not know."""

    code = "unknown_trigger"


class TransitionNotAllowed(StoreError):
    """The trigger is valid, but not from the ticket's current state."""

    code = "transition_not_allowed"


class NotPermitted(StoreError):
    """The person acting may not do this to this ticket (a buyer pressing Verify)."""

    code = "not_permitted"
