"""Message components as Discord's JSON, within Discord's limits (components/reference.mdx):
what the bot, the workers and the panel renderer put under a message.

Text a seller or a catalogue supplies (a label, an option's name) is cut to its limit with an
ellipsis: the message still goes out. A structure over its limit (six buttons in a row, 26
options in a menu, six rows) is a mistake of the caller and is refused with ValueError before
Discord would refuse the whole message (400, Invalid Form Body).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from workflows.discord_contract.custom_ids import CustomId
from workflows.message_limits import shorten

Component = dict[str, Any]

# components/reference.mdx, Button: "label? ... max 80 characters"; "url? ... max 512 characters".
BUTTON_LABEL_MAX = 80
BUTTON_URL_MAX = 512
# components/reference.mdx, Button Styles: Link (5) "Navigates to a URL", its required field `url`.
LINK_STYLE = 5
# components/reference.mdx, Action Row: "An Action Row can contain up to 5 Buttons" (or one select).
BUTTONS_PER_ROW = 5
# components/reference.mdx, Legacy Messages: "up to 5 action rows as top-level components".
ROWS_MAX = 5
# components/reference.mdx, String Select: options "max 25", placeholder "max 150 characters";
# Select Option Structure: label, value and description "max 100 characters" each.
OPTIONS_MAX = 25
PLACEHOLDER_MAX = 150
OPTION_TEXT_MAX = 100


class ComponentType(IntEnum):
    """components/reference.mdx, Component Types."""

    ACTION_ROW = 1
    BUTTON = 2
    STRING_SELECT = 3
    TEXT_INPUT = 4


class ButtonStyle(IntEnum):
    """components/reference.mdx, Button Styles (the ones with a custom_id)."""

    PRIMARY = 1
    SECONDARY = 2
    SUCCESS = 3
    DANGER = 4


@dataclass(frozen=True)
class Option:
    """One choice of a select menu; `value` comes back in the interaction's `values`."""

    label: str
    value: str
    description: str = ""


def button(
    custom_id: CustomId, label: str, style: ButtonStyle, emoji: dict[str, Any] | None = None
) -> Component:
    """A button; its label cut to 80 characters, its emoji (a partial emoji) when given."""
    item: Component = {
        "type": ComponentType.BUTTON.value,
        "style": ButtonStyle(style).value,
        "label": shorten(label, BUTTON_LABEL_MAX),
        "custom_id": custom_id.build(),
    }
    if emoji:
        item["emoji"] = emoji
    return item


def link_button(url: str, label: str, emoji: dict[str, Any] | None = None) -> Component:
    """A link button: opens `url` in the browser, sends no interaction. "Link buttons must
    have a url, and cannot have a custom_id" (components/reference.mdx, Button); Discord takes
    http(s) URLs of at most 512 characters, anything else is the caller's mistake (ValueError)."""
    if not url.startswith(("https://", "http://")) or len(url) > BUTTON_URL_MAX:
        raise ValueError(f"a link button needs an http(s) URL of at most {BUTTON_URL_MAX} characters")
    item: Component = {
        "type": ComponentType.BUTTON.value,
        "style": LINK_STYLE,
        "label": shorten(label, BUTTON_LABEL_MAX),
        "url": url,
    }
    if emoji:
        item["emoji"] = emoji
    return item


def row(*buttons: Component) -> Component:
    """An action row of 1 to 5 buttons."""
    if not 1 <= len(buttons) <= BUTTONS_PER_ROW:
        raise ValueError(f"an action row holds 1 to {BUTTONS_PER_ROW} buttons, not {len(buttons)}")
    return {"type": ComponentType.ACTION_ROW.value, "components": list(buttons)}


def menu(custom_id: CustomId, options: list[Option], placeholder: str = "") -> Component:
    """An action row holding one string select of 1 to 25 options (a longer list is the
    caller's to split, as the panel does with its product menus)."""
    if not 1 <= len(options) <= OPTIONS_MAX:
        raise ValueError(f"a select menu holds 1 to {OPTIONS_MAX} options, not {len(options)}")
    choices = []
    for option in options:
        choice = {
            "label": shorten(option.label, OPTION_TEXT_MAX),
            "value": option.value[:OPTION_TEXT_MAX],
        }
        if option.description:
            choice["description"] = shorten(option.description, OPTION_TEXT_MAX)
        choices.append(choice)
    select: Component = {
        "type": ComponentType.STRING_SELECT.value,
        "custom_id": custom_id.build(),
        "options": choices,
    }
    if placeholder:
        select["placeholder"] = shorten(placeholder, PLACEHOLDER_MAX)
    return {"type": ComponentType.ACTION_ROW.value, "components": [select]}


def rows(*items: Component) -> list[Component]:
    """A message's components: at most 5 action rows."""
    if len(items) > ROWS_MAX:
        raise ValueError(f"a message holds at most {ROWS_MAX} action rows, not {len(items)}")
    return list(items)
