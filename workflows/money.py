"""Amounts of money: integers in the currency's smallest unit, formatted the local way."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    """How a currency is written: `exponent` digits after the decimal separator."""

    code: str
    symbol: str
    exponent: int
    thousands: str
    decimal: str
    symbol_space: bool = True


CURRENCIES: dict[str, Currency] = {
    "IDR": Currency("IDR", "Rp", 0, ".", ","),
    "USD": Currency("USD", "$", 2, ",", ".", symbol_space=False),
    "SGD": Currency("SGD", "S$", 2, ",", ".", symbol_space=False),
    "MYR": Currency("MYR", "RM", 2, ",", "."),
    "EUR": Currency("EUR", "€", 2, ".", ",", symbol_space=False),
}


def format_amount(amount: int, currency: str = "IDR") -> str:
    """`50000, "IDR"` → "Rp 50.000"; `1050, "USD"` → "$10.50"."""
    spec = CURRENCIES[currency]
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**spec.exponent)
    digits = f"{whole:,}".replace(",", spec.thousands)
    if spec.exponent:
        digits += spec.decimal + str(fraction).zfill(spec.exponent)
    space = " " if spec.symbol_space else ""
    return f"{sign}{spec.symbol}{space}{digits}"


def parse_amount(written: str, currency: str = "IDR") -> int:
    """What a seller types into a price box, in the smallest unit: "Rp 50.000" → 50000 (IDR),
    "10.50" → 1050 (USD). Raises ValueError with a message for the seller."""
    spec = CURRENCIES[currency]
    text = (written or "").strip().removeprefix(spec.symbol).strip().replace(" ", "")
    if not text:
        raise ValueError("price: required")
    whole, fraction = text, ""
    if spec.exponent and spec.decimal in text and len(text.rsplit(spec.decimal, 1)[1]) <= spec.exponent:
        whole, fraction = text.rsplit(spec.decimal, 1)
    whole = whole.replace(spec.thousands, "")
    if spec.exponent == 0 and spec.decimal in whole:
        raise ValueError(f"price: whole {spec.symbol} only, e.g. 50.000")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(
            f"price: write a number such as {format_amount(5 * 10 ** (spec.exponent + 4), currency)}"
        )
    return int(whole) * 10**spec.exponent + int(fraction.ljust(spec.exponent, "0") or 0)
