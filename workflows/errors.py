"""Domain errors: each says, in the shop's words, why nothing was done.

Every error here is raised *before* anything is written (or after what was written has been
undone), so a caller can show `str(error)` to the person who acted and carry on.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every refusal the store gives. `code` is stable for translations and APIs."""

    code = "store_error"


class InvalidInput(StoreError):
    code = "invalid_input"


class StoreNotFound(StoreError):
    code = "store_not_found"


class ProductNotFound(StoreError):
    code = "product_not_found"


class ProductUnavailable(StoreError):
    code = "product_unavailable"


class SoldOut(StoreError):
    code = "sold_out"

    def __init__(self, message: str, product: str = "") -> None:
        super().__init__(message)
        self.product = product


class TooManyOpenTickets(StoreError):
    code = "too_many_open_tickets"


class CooldownActive(StoreError):
    code = "cooldown"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NoUniqueAmountLeft(StoreError):
    """All 999 unique codes of this price are taken by open tickets."""

    code = "no_unique_amount"


class TicketNotFound(StoreError):
    code = "ticket_not_found"


class UnknownTrigger(StoreError):
    code = "unknown_trigger"


class TransitionNotAllowed(StoreError):
    """The trigger is valid, but not from the ticket's current state."""

    code = "transition_not_allowed"


class NotPermitted(StoreError):
    """The person acting may not do this to this ticket (a buyer pressing Verify)."""

    code = "not_permitted"
