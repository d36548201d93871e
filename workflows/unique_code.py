"""Kode unik: a small addition to the price so each open ticket asks for a different amount.

Indonesian bank transfers carry no reliable reference, so a transfer is matched to its
ticket by its exact amount: Rp 50.000 + 137 = Rp 50.137. The addition is 1..999 in the
currency's smallest unit. Uniqueness among a store's open tickets is *enforced* by a partial
unique index on (guild_id, amount_due) for open tickets; this module only picks candidates.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

MIN_CODE = 1
MAX_CODE = 999


def free_codes(subtotal: int, amounts_in_use: Iterable[int]) -> list[int]:
    """Codes whose amount (subtotal + code) no open ticket of the store is asking for."""
    taken = {amount - subtotal for amount in amounts_in_use}
    return [code for code in range(MIN_CODE, MAX_CODE + 1) if code not in taken]


def pick_code(candidates: list[int], rng: random.Random | None = None) -> int:
    """A random free code: random so that concurrent buyers rarely collide on the index."""
    return (rng or random).choice(candidates)
