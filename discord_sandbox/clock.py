"""The sandbox's clock: real time plus an offset a test can move forward.

Discord's rules that span minutes (rate-limit windows, the 10-minute invalid-request count,
`enforce_nonce`'s "past few minutes", the 15-minute interaction token) read this clock, so a
test advances it (`POST /_sandbox/clock {"advance_s": 600}`) instead of sleeping.
"""

from __future__ import annotations

import time


class SandboxClock:
    """Monotonic and wall-clock time, both shifted by the same forward-only offset."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def monotonic(self) -> float:
        """Seconds for measuring durations (windows, deadlines); never goes back."""
        return time.monotonic() + self.offset_s

    def time(self) -> float:
        """Epoch seconds, for what Discord states as a point in time (`X-RateLimit-Reset`)."""
        return time.time() + self.offset_s

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`; time never runs backwards, as for Discord."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset_s += seconds
