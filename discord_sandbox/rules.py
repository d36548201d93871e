"""What Discord refuses in a request body or path: field limits (50035 Invalid Form Body, with
the nested `errors` shape), bodies that are no JSON (50109), uploads that are too large (40005)
and ids in paths that cannot name anything (404 Unknown ...).

Error shape: reference.mdx "Error Messages": every refused field gets
`{"_errors": [{"code": ..., "message": ...}]}` at its path, list indexes as string keys.
The codes and messages are the ones Discord answers with (its docs list examples only, not
all of them; the rest are copied from Discord's real answers).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import emoji as unicode_emoji

from discord_sandbox.state import DiscordError

Path = tuple[str | int, ...]

# resources/message.mdx "Create Message": content up to 2000 characters.
CONTENT_MAX = 2000
# resources/message.mdx "Embed Limits".
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_TEXT_MAX = 2048
EMBED_AUTHOR_NAME_MAX = 256
EMBED_TOTAL_MAX = 6000
# components/reference.mdx (Action Row, Button, String Select, Text Input, Custom ID).
ACTION_ROWS_MAX = 5
ROW_BUTTONS_MAX = 5
BUTTON_LABEL_MAX = 80
BUTTON_URL_MAX = 512
CUSTOM_ID_MAX = 100
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
TEXT_INPUT_PLACEHOLDER_MAX = 100
# interactions/receiving-and-responding.mdx "Modal": title max 45, 1 to 5 components.
MODAL_TITLE_MAX = 45
MODAL_ROWS_MAX = 5
# reference.mdx "Uploading Files": 10 MiB for each file; resources/message.mdx "Create
# Message" limitations: 25 MiB for the whole request.
FILE_MAX_BYTES = 10 * 1024 * 1024
REQUEST_MAX_BYTES = 25 * 1024 * 1024
SNOWFLAKE_MAX = 2**64 - 1

# resources/channel.mdx "Channel Types" a guild channel can be created with (no DMs, threads).
CHANNEL_TYPES = frozenset({0, 2, 4, 5, 13, 14, 15, 16})
# interactions/receiving-and-responding.mdx "Interaction Callback Type".
CALLBACK_TYPES = frozenset({1, 4, 5, 6, 7, 8, 9, 10, 12})

BUTTON, STRING_SELECT, TEXT_INPUT, LABEL = 2, 3, 4, 18
SELECTS = {3, 5, 6, 7, 8}
LINK_STYLE, PREMIUM_STYLE = 5, 6
LINK_SCHEMES = ("http", "https", "discord")


class FormErrors:
    """The refused fields of one request, in Discord's nested `errors` shape.

    Parameters:
      prefix: where the checked object sits in the request (`("data",)` for an interaction
        response, whose message fields Discord reports under `data`).
    """

    def __init__(self, prefix: Path = ()) -> None:
        self.prefix = prefix
        self.tree: dict[str, Any] = {}

    def add(self, path: Path, code: str, message: str) -> None:
        node = self.tree
        for key in (*self.prefix, *path):
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def raise_if_any(self) -> None:
        if self.tree:
            raise DiscordError(400, 50035, "Invalid Form Body", self.tree)

    # --- field checks, each answering with Discord's own code and wording --------------------

    def required(self, path: Path) -> None:
        self.add(path, "BASE_TYPE_REQUIRED", "This field is required")

    def string(self, path: Path, value: Any, high: int, low: int = 0, required: bool = False) -> str | None:
        """A string of `low`..`high` characters (None when absent and allowed to be)."""
        if value is None:
            if required:
                self.required(path)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(path, "BASE_TYPE_STRING", "Could not interpret value as string.")
            return None
        text = str(value)
        if low > 0 and not low <= len(text) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")
        elif len(text) > high:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
        return text

    def snowflake(self, path: Path, value: Any, required: bool = True) -> int | None:
        """A snowflake: an integer or a string of digits below 2**64."""
        if value is None:
            if required:
                self.required(path)
            return None
        parsed = parse_snowflake(value)
        if parsed is None:
            self.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')
        return parsed

    def integer(self, path: Path, value: Any, required: bool = False) -> int | None:
        if value is None:
            if required:
                self.required(path)
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
            return None
        try:
            return int(value)
        except ValueError:
            self.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
            return None

    def array(self, path: Path, value: Any, high: int | None = None, low: int = 0) -> list[Any]:
        """A list of at most `high` (and at least `low`) items; [] when absent or refused."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
            return []
        if high is not None and low > 0 and not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")
        elif high is not None and len(value) > high:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
        return value

    def mapping(self, path: Path, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            return {}
        return value


def parse_snowflake(value: Any) -> int | None:
    """The id `value` names, or None when it is not a snowflake (resources: ids are 64-bit)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 0 <= number <= SNOWFLAKE_MAX else None


def path_id(raw: str, code: int, message: str) -> int:
    """An id taken from a URL path; one that cannot exist is as unknown as a deleted one."""
    parsed = parse_snowflake(raw)
    if parsed is None:
        raise DiscordError(404, code, message)
    return parsed


def body_object(payload: Any) -> dict[str, Any]:
    """A JSON body must be an object (Discord answers 50035 at the root otherwise)."""
    if not isinstance(payload, dict):
        errors = FormErrors()
        errors.tree["_errors"] = [
            {"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries may be used in a DictType"}
        ]
        errors.raise_if_any()
    return payload


def invalid_json() -> DiscordError:
    # topics/opcodes-and-status-codes.mdx "JSON Error Codes": 50109.
    return DiscordError(400, 50109, "The request body contains invalid JSON.")


def too_large() -> DiscordError:
    # topics/opcodes-and-status-codes.mdx "JSON Error Codes": 40005, with HTTP 413.
    return DiscordError(413, 40005, "Request entity too large")


def check_upload_sizes(sizes: list[int]) -> None:
    """reference.mdx "Uploading Files": the limit applies to each file (10 MiB by default);
    resources/message.mdx "Create Message": 25 MiB for the whole request."""
    if any(size > FILE_MAX_BYTES for size in sizes) or sum(sizes) > REQUEST_MAX_BYTES:
        raise too_large()


# --- messages ---------------------------------------------------------------------------------


def check_message(payload: dict[str, Any], prefix: Path = ()) -> None:
    """The message fields of a create/edit/interaction body: content, embeds, components."""
    errors = FormErrors(prefix)
    errors.string(("content",), payload.get("content"), CONTENT_MAX)
    if payload.get("flags") is not None:
        errors.integer(("flags",), payload.get("flags"))
    embeds = errors.array(("embeds",), payload.get("embeds"), EMBEDS_MAX)
    check_embeds(errors, embeds)
    rows = errors.array(("components",), payload.get("components"), ACTION_ROWS_MAX)
    check_components(errors, rows)
    errors.raise_if_any()


def _text(value: Any) -> str:
    # "Leading and trailing whitespace characters are not included (they are trimmed
    # automatically)" (resources/message.mdx "Embed Limits").
    return value.strip() if isinstance(value, str) else ""


def check_embeds(errors: FormErrors, embeds: list[Any]) -> None:
    """resources/message.mdx "Embed Limits": per-field limits, and 6000 characters in all."""
    total = 0
    for i, raw in enumerate(embeds):
        embed = errors.mapping(("embeds", i), raw)
        title, description = _text(embed.get("title")), _text(embed.get("description"))
        errors.string(("embeds", i, "title"), title, EMBED_TITLE_MAX)
        errors.string(("embeds", i, "description"), description, EMBED_DESCRIPTION_MAX)
        total += len(title) + len(description)
        fields = errors.array(("embeds", i, "fields"), embed.get("fields"), EMBED_FIELDS_MAX)
        for j, raw_field in enumerate(fields):
            item = errors.mapping(("embeds", i, "fields", j), raw_field)
            name, value = _text(item.get("name")), _text(item.get("value"))
            errors.string(("embeds", i, "fields", j, "name"), name, EMBED_FIELD_NAME_MAX, 1, required=True)
            errors.string(("embeds", i, "fields", j, "value"), value, EMBED_FIELD_VALUE_MAX, 1, required=True)
            total += len(name) + len(value)
        footer = errors.mapping(("embeds", i, "footer"), embed.get("footer"))
        footer_text = _text(footer.get("text"))
        errors.string(("embeds", i, "footer", "text"), footer_text, EMBED_FOOTER_TEXT_MAX)
        author = errors.mapping(("embeds", i, "author"), embed.get("author"))
        author_name = _text(author.get("name"))
        errors.string(("embeds", i, "author", "name"), author_name, EMBED_AUTHOR_NAME_MAX)
        total += len(footer_text) + len(author_name)
    if total > EMBED_TOTAL_MAX:
        errors.add(
            ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"
        )


def check_emoji(errors: FormErrors, path: Path, raw: Any) -> None:
    """A partial emoji: a custom one names a snowflake id; one without an id must be a real
    unicode emoji ("cart" or ":cart:" is refused as Discord does, BUTTON_COMPONENT_INVALID_EMOJI
    also for select options)."""
    if raw is None:
        return
    value = errors.mapping(path, raw)
    if value.get("id") is not None:
        errors.snowflake((*path, "id"), value["id"])
        return
    name = value.get("name")
    if not isinstance(name, str) or not unicode_emoji.is_emoji(name):
        errors.add((*path, "name"), "BUTTON_COMPONENT_INVALID_EMOJI", "Invalid emoji")


def check_components(errors: FormErrors, rows: list[Any]) -> None:
    """components/reference.mdx: up to 5 action rows; a row holds 1 to 5 buttons or a single
    select; custom_id 1..100 characters and unique within the message."""
    seen: set[str] = set()
    for i, raw_row in enumerate(rows):
        row = errors.mapping(("components", i), raw_row)
        if row.get("type") != 1:
            continue  # Components V2 layouts are not used by the store; their limits are not modelled
        items = errors.array(("components", i, "components"), row.get("components"), ROW_BUTTONS_MAX, 1)
        kinds = [item.get("type") for item in items if isinstance(item, dict)]
        if len(kinds) > 1 and any(kind in SELECTS for kind in kinds):
            # A select is as wide as a whole row.
            errors.add(
                ("components", i, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, raw_item in enumerate(items):
            path: Path = ("components", i, "components", j)
            item = errors.mapping(path, raw_item)
            kind = errors.integer((*path, "type"), item.get("type"), required=True)
            if kind == BUTTON:
                _check_button(errors, path, item)
            elif kind in SELECTS:
                _check_select(errors, path, item, kind)
            custom_id = item.get("custom_id")
            if isinstance(custom_id, str):
                if custom_id in seen:
                    errors.add(
                        (*path, "custom_id"),
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id was already specified",
                    )
                seen.add(custom_id)


def _check_button(errors: FormErrors, path: Path, item: dict[str, Any]) -> None:
    style = item.get("style")
    errors.integer((*path, "style"), style, required=True)
    errors.string((*path, "label"), item.get("label"), BUTTON_LABEL_MAX)
    check_emoji(errors, (*path, "emoji"), item.get("emoji"))
    if style == LINK_STYLE:
        # "Link buttons must have a url, and cannot have a custom_id" (Button Structure); the
        # url is at most 512 characters, and Discord opens only web (and discord:) addresses.
        url = errors.string((*path, "url"), item.get("url"), BUTTON_URL_MAX, required=True)
        if url is not None:
            _check_link(errors, (*path, "url"), url)
        if item.get("custom_id") is not None:
            errors.add(
                (*path, "custom_id"),
                "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                "A custom id and url cannot both be specified",
            )
    elif style != PREMIUM_STYLE:
        # "Non-link and non-premium buttons must have a custom_id, and cannot have a url".
        errors.string((*path, "custom_id"), item.get("custom_id"), CUSTOM_ID_MAX, 1, required=True)
        if item.get("url") is not None:
            both = "A custom id and url cannot both be specified"
            errors.add((*path, "url"), "BUTTON_COMPONENT_URL_NOT_ALLOWED", both)


def _check_link(errors: FormErrors, path: Path, url: str) -> None:
    """A link button's url: an absolute address with a host (Discord's own wording for a bad
    one: "Not a well formed URL."; for another scheme: 'Scheme "javascript" is not supported.
    Scheme must be one of ('http', 'https', 'discord').')."""
    scheme, colon, _ = url.partition(":")
    if not colon or not scheme:
        errors.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    elif scheme.lower() not in LINK_SCHEMES:
        errors.add(
            path,
            "URL_TYPE_INVALID_SCHEME",
            f'Scheme "{scheme}" is not supported. Scheme must be one of {LINK_SCHEMES}.',
        )
    elif scheme.lower() in ("http", "https") and not _has_host(url):
        errors.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def _has_host(url: str) -> bool:
    try:
        return url.split(":", 1)[1].startswith("//") and bool(urlsplit(url).hostname) and not any(
            c.isspace() for c in url
        )
    except ValueError:  # e.g. "http://[::1": an address urlsplit cannot take apart
        return False


def _check_select(errors: FormErrors, path: Path, item: dict[str, Any], kind: int) -> None:
    errors.string((*path, "custom_id"), item.get("custom_id"), CUSTOM_ID_MAX, 1, required=True)
    errors.string((*path, "placeholder"), item.get("placeholder"), SELECT_PLACEHOLDER_MAX)
    if kind != STRING_SELECT:
        return
    if item.get("options") is None:
        errors.required((*path, "options"))
    options = errors.array((*path, "options"), item.get("options"), SELECT_OPTIONS_MAX, 1)
    for k, raw in enumerate(options):
        option = errors.mapping((*path, "options", k), raw)
        errors.string((*path, "options", k, "label"), option.get("label"), SELECT_OPTION_TEXT_MAX, 1, True)
        errors.string((*path, "options", k, "value"), option.get("value"), SELECT_OPTION_TEXT_MAX, 1, True)
        errors.string((*path, "options", k, "description"), option.get("description"), SELECT_OPTION_TEXT_MAX)
        check_emoji(errors, (*path, "options", k, "emoji"), option.get("emoji"))


# --- modals -----------------------------------------------------------------------------------


def check_modal(data: Any) -> None:
    """interactions/receiving-and-responding.mdx "Modal": custom_id 1..100, title 1..45,
    1 to 5 components; each text input (in an action row or a Label) with its label 1..45,
    custom_id 1..100, value up to 4000 and placeholder up to 100 characters."""
    errors = FormErrors(("data",))
    modal = errors.mapping((), data)
    errors.string(("custom_id",), modal.get("custom_id"), CUSTOM_ID_MAX, 1, required=True)
    errors.string(("title",), modal.get("title"), MODAL_TITLE_MAX, 1, required=True)
    if modal.get("components") is None:
        errors.required(("components",))
    rows = errors.array(("components",), modal.get("components"), MODAL_ROWS_MAX, 1)
    seen: set[str] = set()
    for i, raw_row in enumerate(rows):
        row = errors.mapping(("components", i), raw_row)
        if row.get("type") == 1:
            inputs = errors.array(("components", i, "components"), row.get("components"), 1, 1)
            targets = [(("components", i, "components", j), item) for j, item in enumerate(inputs)]
            label_path: Path | None = None
        elif row.get("type") == LABEL:
            targets = [(("components", i, "component"), row.get("component"))]
            label_path = ("components", i, "label")
            errors.string(label_path, row.get("label"), TEXT_INPUT_LABEL_MAX, 1, required=True)
            errors.string(("components", i, "description"), row.get("description"), 100)
        else:
            continue
        for path, raw_input in targets:
            text_input = errors.mapping(path, raw_input)
            if text_input.get("type") != TEXT_INPUT:
                continue
            if label_path is None:  # the text input's own (deprecated) label
                errors.string((*path, "label"), text_input.get("label"), TEXT_INPUT_LABEL_MAX, 1, True)
            custom_id = errors.string(
                (*path, "custom_id"), text_input.get("custom_id"), CUSTOM_ID_MAX, 1, True
            )
            errors.string((*path, "value"), text_input.get("value"), TEXT_INPUT_VALUE_MAX)
            errors.string((*path, "placeholder"), text_input.get("placeholder"), TEXT_INPUT_PLACEHOLDER_MAX)
            for bound, low in (("min_length", 0), ("max_length", 1)):
                number = errors.integer((*path, bound), text_input.get(bound))
                if number is not None and not low <= number <= TEXT_INPUT_VALUE_MAX:
                    errors.add(
                        (*path, bound),
                        "NUMBER_TYPE_MAX" if number > TEXT_INPUT_VALUE_MAX else "NUMBER_TYPE_MIN",
                        f"int value should be <= {TEXT_INPUT_VALUE_MAX}."
                        if number > TEXT_INPUT_VALUE_MAX
                        else f"int value should be >= {low}.",
                    )
            if custom_id is not None:
                if custom_id in seen:
                    errors.add(
                        (*path, "custom_id"),
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id was already specified",
                    )
                seen.add(custom_id)
    errors.raise_if_any()
