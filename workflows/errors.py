"""Domain errors: each says, in the shop's words, why nothing was done.

Every error here is raised *before* anything is written (or after what was written has been
undone), so a caller can show `str(error)` to the person who acted and carry on.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


class StoreError(Exception):
    """Base of every refusal the store gives. `code` is stable for translations and APIs.

    Raised with `key` (a text under `errors.` in workflows/locales/) and its `values`, the
    refusal can be said in the language of whoever reads it (`in_locale`); `str(error)` is the
    English text, for logs. One raised with a bare message says that message in any language.
    """

    code = "store_error"

    def __init__(self, message: str = "", *, key: str = "", **values: object) -> None:
        self.key, self.values = key, values
        super().__init__(message or (self._text("en") if key else ""))

    def _text(self, locale: str) -> str:
        from workflows.i18n import text  # i18n sits beside this module; every module imports errors

        return text(locale, f"errors.{self.key}", **self.values)

    def in_locale(self, locale: str, currency: str = "IDR") -> str:
        """The refusal in `locale`."""
        return self._text(locale) if self.key else str(self)


class InvalidInput(StoreError):
    """The input does not make sense (a negative price, a quantity of 2.5, a broken QRIS).

    One made from a model's validation failure (`explaining`) keeps each problem apart, so
    `in_locale` can say it in the seller's language with the field's name in the shop's words
    ("Harga: paling banyak Rp 1.000.000.000.000") instead of pydantic's English.
    """

    code = "invalid_input"

    def __init__(
        self, message: str = "", problems: tuple[Problem, ...] = (), *, key: str = "", **values: object
    ) -> None:
        self.problems = problems
        super().__init__(message or (self.in_locale("en") if problems else ""), key=key, **values)

    @classmethod
    def explaining(cls, error: ValidationError, prefix: str = "") -> InvalidInput:
        """A model's validation failure as one refusal naming each bad field and what is allowed."""
        return cls(problems=tuple(Problem.from_pydantic(item) for item in error.errors()))

    def in_locale(self, locale: str, currency: str = "IDR") -> str:
        """The refusal in `locale`; messages written by hand (already in the shop's words) as is."""
        if not self.problems:
            return super().in_locale(locale, currency)
        return "; ".join(problem.in_locale(locale, currency) for problem in self.problems)


# Fields whose limits are money, shown as "Rp 1.000.000.000.000" rather than a bare number.
MONEY_FIELDS = frozenset({"price", "amount", "amount_due", "unit_price"})

# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/) → the
# key of the sentence under `story.invalid`; the limit they carry is named in `ctx`.
_KINDS = {
    "missing": ("missing", None),
    "greater_than_equal": ("at_least", "ge"),
    "greater_than": ("more_than", "gt"),
    "less_than_equal": ("at_most", "le"),
    "less_than": ("less_than", "lt"),
    "int_parsing": ("whole_number", None),
    "int_type": ("whole_number", None),
    "int_from_float": ("whole_number", None),
    "float_parsing": ("number", None),
    "float_type": ("number", None),
    "string_too_short": ("too_short", "min_length"),
    "too_short": ("too_short", "min_length"),
    "string_too_long": ("too_long", "max_length"),
    "too_long": ("too_long", "max_length"),
    "string_type": ("text", None),
    "literal_error": ("one_of", "expected"),
    "enum": ("one_of", "expected"),
    "bool_parsing": ("yes_no", None),
    "bool_type": ("yes_no", None),
}


@dataclass(frozen=True)
class Problem:
    """One bad field: its model name, what kind of rule it broke, and the rule's limit."""

    field: str
    kind: str
    limit: object = None

    @classmethod
    def from_pydantic(cls, item: dict) -> Problem:
        names = [str(part) for part in item.get("loc", ()) if isinstance(part, str)]
        kind, limit_key = _KINDS.get(item.get("type", ""), ("invalid", None))
        limit = (item.get("ctx") or {}).get(limit_key) if limit_key else None
        return cls(field=names[-1] if names else "", kind=kind, limit=limit)

    def in_locale(self, locale: str, currency: str = "IDR") -> str:
        # Imported here: i18n and money sit beside this module, and every module imports errors.
        from workflows.i18n import text
        from workflows.money import format_amount

        try:
            field = text(locale, f"story.field.{self.field}")
        except KeyError:  # a field no form shows: never the Python name
            field = text(locale, "story.field.value")
        limit = self.limit
        if isinstance(limit, int | float) and not isinstance(limit, bool):
            if self.field in MONEY_FIELDS and currency:
                limit = format_amount(int(limit), currency)
            else:
                limit = format_number(int(limit), locale)
        elif isinstance(limit, str):
            # pydantic writes a Literal's choices as "'fields' or 'list'".
            limit = limit.replace("'", "").replace(" or ", ", ")
        return f"{field}: {text(locale, f'story.invalid.{self.kind}', limit=limit)}"


def format_number(value: int, locale: str) -> str:
    """10000 → "10.000" in Indonesian, "10,000" in English."""
    written = f"{value:,}"
    return written.replace(",", ".") if locale == "id" else written


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


class InsufficientSaldo(StoreError):
    """The buyer's saldo does not cover a debit; says the balance and the amount asked, as money
    in the store's currency (`saldo_s1.insufficient` texts)."""

    code = "insufficient_saldo"

    def __init__(self, balance: int, amount: int, currency: str = "IDR") -> None:
        self.balance, self.amount, self.currency = balance, amount, currency
        super().__init__(key="saldo_insufficient", balance=balance, amount=amount)

    def _text(self, locale: str, currency: str | None = None) -> str:
        from workflows.i18n import text
        from workflows.money import format_amount

        shown = currency or self.currency
        return text(
            locale,
            "saldo_s1.insufficient",
            balance=format_amount(self.balance, shown),
            amount=format_amount(self.amount, shown),
        )

    def in_locale(self, locale: str, currency: str = "IDR") -> str:
        return self._text(locale, currency)
