"""Reading a JSON body someone else sent (a payment webhook), with bounded size and nesting.

Python's `json` module recurses once per `[` or `{`: 50,000 of them raise RecursionError, which
a web handler turns into a 500. So the nesting is measured on the raw bytes first, without
recursion, and a body nested deeper than any real notification is refused before `json.loads`.
"""

from __future__ import annotations

import json
from typing import Any

from workflows.errors import InvalidInput

MAX_BYTES = 256 * 1024
# Moota: an array of objects (depth 2); gateways: an object with a few nested objects.
MAX_DEPTH = 16

_OPEN, _CLOSE, _QUOTE, _BACKSLASH = frozenset(b"[{"), frozenset(b"]}"), ord('"'), ord("\\")


def nesting(body: bytes, stop_after: int = MAX_DEPTH) -> int:
    """How deeply `[`/`{` nest in `body` outside strings (stops counting past `stop_after`)."""
    if body.count(b"[") + body.count(b"{") <= stop_after:
        return body.count(b"[") + body.count(b"{")  # cannot be deeper than that: skip the scan
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_after:
                    return deepest
        elif byte in _CLOSE:
            depth -= 1
    return deepest


def parse(body: bytes, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of `body`; InvalidInput (never RecursionError) for anything else."""
    if not body.strip():
        raise InvalidInput("body is empty")
    if len(body) > max_bytes:
        raise InvalidInput("body too large")
    if nesting(body, max_depth) > max_depth:
        raise InvalidInput(f"body is nested deeper than {max_depth} levels")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput("body is not JSON") from None
