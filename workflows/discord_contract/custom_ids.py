"""The custom-id grammar: every `custom_id` the store puts on a button, a select menu or a modal,
built and parsed here and nowhere else.

A custom id is `<action>` or `<action>:<argument>[:<argument>]`; the router answers a click from
its parsed value alone, so buttons keep working after a restart (nothing about them lives in the
bot's memory) and buttons posted by an older version keep their meaning (the wire form of every
action is kept as it was when it was first posted).

A custom id comes back from the client, which can send anything: `parse` accepts only what
`build` makes (an ObjectId-shaped ticket id, 1 to 5 stars, a small page number) and refuses the
rest with `InvalidCustomId`, never another exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar

# components/reference.mdx, Anatomy of a Component: custom_id "is a string of 1 to 100 characters".
CUSTOM_ID_MAX = 100
SEPARATOR = ":"
STARS = range(1, 6)
# Panel pages and product-menu offsets: far more than any catalogue (25 products a page).
NUMBER_MAX = 9999

_TICKET_ID = re.compile(r"[0-9a-f]{24}")  # a MongoDB ObjectId as str() writes it
_NUMBER = re.compile(r"[0-9]{1,4}")  # ASCII digits only: int() would also take "٥" or " 5"


class Action(StrEnum):
    """What a click or a submission asks for; the value is the custom id's first part."""

    # The panel (no ticket yet).
    BUY = "buy_btn"
    PRODUCT_CHOSEN = "buy_select"
    PAYMENT_METHODS = "payment_btn"
    PANEL_PAGE = "panel_page"
    # "Notify me when it is back": a menu of sold-out products (issue 20, item 4).
    NOTIFY_ME = "notify_me"
    # A ticket's buttons, menus and modals.
    CHOOSE_METHOD = "methods"
    METHOD_CHOSEN = "method"
    PAID = "paid"
    PAYMENT_REPORT = "report"
    VERIFY = "verify"
    REJECT = "reject"
    CANCEL = "cancel"
    CANCEL_CONFIRM = "cancel_confirm"
    CANCEL_KEEP = "cancel_keep"
    CLOSE = "close"
    CLOSE_CONFIRM = "close_confirm"
    RATE = "rate"
    RATING = "rating"
    # The coupon button in an unpaid ticket and the modal it opens (issue 20, item 1).
    COUPON = "coupon"
    COUPON_CODE = "coupon_code"
    # The buyer's /orders list (issue 20, item 3): its page buttons, and "send it again" on a
    # delivered order (only its buyer may use it: `workflows.orders.request_resend`).
    ORDERS_PAGE = "orders_page"
    RESEND = "resend"
    # "Pay with saldo" in an unpaid ticket, shown when the buyer's balance covers it (issue 21).
    PAY_SALDO = "pay_saldo"
    # After Buy, a buyer whose saldo covers an automatic product chooses: pay it from saldo at
    # once (no ticket channel, the key by DM) or open a ticket as usual (issue 21, item 3).
    BUY_WITH_SALDO = "buy_saldo"
    BUY_WITH_TICKET = "buy_ticket"


class InvalidCustomId(ValueError):
    """A custom id the store did not make. `action` is set when the first part names one of
    the store's actions (a forged or damaged argument: the clicker deserves an answer), None
    when it names nothing of ours (nothing to answer)."""

    def __init__(self, raw: str, problem: str, action: Action | None = None) -> None:
        super().__init__(f"custom id {raw[:120]!r}: {problem}")
        self.action = action


def _checked(custom_id: str) -> str:
    if not 1 <= len(custom_id) <= CUSTOM_ID_MAX:
        raise ValueError(f"custom id of {len(custom_id)} characters (Discord: 1 to {CUSTOM_ID_MAX})")
    return custom_id


def _ticket_id(raw: str) -> str:
    if not _TICKET_ID.fullmatch(raw):
        raise ValueError("not a ticket id")
    return raw


def _number(raw: str) -> int:
    if not _NUMBER.fullmatch(raw):
        raise ValueError("not a whole number 0 to 9999")
    return int(raw)


def _stars(raw: str) -> int:
    if not (len(raw) == 1 and raw in "12345"):
        raise ValueError("stars: a whole number from 1 to 5")
    return int(raw)


class _Shape:
    """What the custom ids of one shape share: `<action>` then one part per argument, each
    argument read by its parser (`PARSERS`, in field order). A value is checked when it is
    made, by the same parsers, so `build` can only write what `parse` reads back."""

    ACTIONS: ClassVar[frozenset[Action]]
    PARSERS: ClassVar[tuple[Callable[[str], object], ...]]
    action: Action

    def __post_init__(self) -> None:
        if self.action not in self.ACTIONS:
            raise ValueError(f"{self.action} is not a {type(self).__name__}")
        for read, value in zip(self.PARSERS, self.arguments, strict=True):
            read(str(value))

    @property
    def arguments(self) -> tuple[Any, ...]:
        """The typed arguments, in order: what the router hands the action's handler."""
        return tuple(getattr(self, f.name) for f in fields(self)[1:])  # type: ignore[arg-type]

    def build(self) -> str:
        return _checked(SEPARATOR.join((self.action.value, *map(str, self.arguments))))

    @classmethod
    def _parse(cls, action: Action, parts: list[str]) -> Any:
        if len(parts) != len(cls.PARSERS):
            raise ValueError(f"{action} takes {len(cls.PARSERS)} argument(s), not {len(parts)}")
        return cls(action, *(read(part) for read, part in zip(cls.PARSERS, parts, strict=True)))


@dataclass(frozen=True)
class PanelButton(_Shape):
    """Buy or Payment on the panel: the action alone."""

    action: Action
    ACTIONS: ClassVar[frozenset[Action]] = frozenset({Action.BUY, Action.PAYMENT_METHODS})
    PARSERS: ClassVar[tuple[Callable[[str], object], ...]] = ()
    ticket_id: ClassVar[None] = None


@dataclass(frozen=True)
class PanelNumber(_Shape):
    """A control with a number: the page a panel's `›` button shows, the offset of a product
    menu (menus of 25 products each, `workflows.panel.product_choice`), or the page of the
    buyer's /orders (whose orders: the clicker's, never read from the id)."""

    action: Action
    number: int
    ACTIONS: ClassVar[frozenset[Action]] = frozenset(
        {Action.PANEL_PAGE, Action.PRODUCT_CHOSEN, Action.NOTIFY_ME, Action.ORDERS_PAGE}
    )
    PARSERS: ClassVar[tuple[Callable[[str], object], ...]] = (_number,)
    ticket_id: ClassVar[None] = None


@dataclass(frozen=True)
class TicketControl(_Shape):
    """A button, menu or modal of one ticket: `<action>:<ticket id>`."""

    action: Action
    ticket_id: str
    ACTIONS: ClassVar[frozenset[Action]] = frozenset(
        {
            Action.CHOOSE_METHOD,
            Action.METHOD_CHOSEN,
            Action.PAID,
            Action.PAYMENT_REPORT,
            Action.VERIFY,
            Action.REJECT,
            Action.CANCEL,
            Action.CANCEL_CONFIRM,
            Action.CANCEL_KEEP,
            Action.CLOSE,
            Action.CLOSE_CONFIRM,
            Action.COUPON,
            Action.COUPON_CODE,
            Action.RESEND,
            Action.PAY_SALDO,
        }
    )
    PARSERS: ClassVar[tuple[Callable[[str], object], ...]] = (_ticket_id,)


@dataclass(frozen=True)
class StarRating(_Shape):
    """A star button after delivery (`rate`) and the comment modal it opens (`rating`): the
    stars travel in the custom id, from the button to the modal to the handler."""

    action: Action
    ticket_id: str
    stars: int
    ACTIONS: ClassVar[frozenset[Action]] = frozenset({Action.RATE, Action.RATING})
    PARSERS: ClassVar[tuple[Callable[[str], object], ...]] = (_ticket_id, _stars)


@dataclass(frozen=True)
class ProductControl(_Shape):
    """A choice about buying one product: `<action>:<product id>` (an ObjectId, as a ticket's).
    Who buys is the clicker, never read from the id."""

    action: Action
    product_id: str
    ACTIONS: ClassVar[frozenset[Action]] = frozenset({Action.BUY_WITH_SALDO, Action.BUY_WITH_TICKET})
    PARSERS: ClassVar[tuple[Callable[[str], object], ...]] = (_ticket_id,)
    ticket_id: ClassVar[None] = None


CustomId = PanelButton | PanelNumber | TicketControl | StarRating | ProductControl
_SHAPES: tuple[type[_Shape], ...] = (PanelButton, PanelNumber, TicketControl, StarRating, ProductControl)
SHAPE_OF = {action: shape for shape in _SHAPES for action in shape.ACTIONS}
assert set(SHAPE_OF) == set(Action), "every action has exactly one shape"


def parse(raw: str) -> CustomId:
    """The typed custom id `build` made, or InvalidCustomId (whatever a client sent)."""
    if not isinstance(raw, str) or not 1 <= len(raw) <= CUSTOM_ID_MAX:
        raise InvalidCustomId(str(raw), "not 1 to 100 characters")
    head, *parts = raw.split(SEPARATOR)
    try:
        action = Action(head)
    except ValueError:
        raise InvalidCustomId(raw, "no such action") from None
    try:
        parsed: CustomId = SHAPE_OF[action]._parse(action, parts)
    except ValueError as error:
        raise InvalidCustomId(raw, str(error), action) from None
    return parsed


# Shorthands for the builders, named as the shop speaks.
BUY = PanelButton(Action.BUY)
PAYMENT_METHODS = PanelButton(Action.PAYMENT_METHODS)


def panel_page(page: int) -> PanelNumber:
    return PanelNumber(Action.PANEL_PAGE, page)


def orders_page(page: int) -> PanelNumber:
    return PanelNumber(Action.ORDERS_PAGE, page)


def product_menu(start: int) -> PanelNumber:
    return PanelNumber(Action.PRODUCT_CHOSEN, start)


def notify_menu(start: int) -> PanelNumber:
    """The menu of sold-out products from `start` on, to wait for one (`bot.buttons.notify`)."""
    return PanelNumber(Action.NOTIFY_ME, start)


def ticket(action: Action, ticket_id: object) -> TicketControl:
    """`action` on the ticket `ticket_id` (an ObjectId or its str)."""
    return TicketControl(action, str(ticket_id))


def product(action: Action, product_id: object) -> ProductControl:
    """`action` on the product `product_id` (an ObjectId or its str)."""
    return ProductControl(action, str(product_id))


def stars(action: Action, ticket_id: object, count: int) -> StarRating:
    return StarRating(action, str(ticket_id), count)


# The text inputs of the store's modals (their own custom ids, inside the modal).
REFERENCE_FIELD = "reference"
COMMENT_FIELD = "comment"
COUPON_FIELD = "code"
