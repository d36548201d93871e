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
