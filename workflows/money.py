"""Amounts of money: integers in the currency's smallest unit, written the way the currency's
own people write them (Babel's CLDR data), whatever language the page around them speaks: a
seller reads "Rp 50.000" on the Indonesian and the English dashboard alike, as in Discord."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_currency, get_currency_precision, parse_decimal

# The locale whose writing of each currency we use, and a pattern where the store's custom
# differs from CLDR's: Indonesian shops write "Rp 50.000" with a space and no ",00".
HOME: dict[str, tuple[str, str | None]] = {
    "IDR": ("id_ID", "¤ #,##0"),
    "USD": ("en_US", None),
    "SGD": ("en_SG", "S¤#,##0.00"),  # CLDR writes a bare "$" in Singapore; a buyer abroad needs "S$"
    "MYR": ("ms_MY", None),
    "EUR": ("de_DE", "¤#,##0.00"),
}
CURRENCIES = tuple(HOME)


def digits(currency: str) -> int:
    """How many digits follow the decimal separator: 0 for rupiah, 2 for dollars."""
    return get_currency_precision(currency)


def format_amount(amount: int, currency: str = "IDR") -> str:
    """`50000, "IDR"` → "Rp 50.000"; `1050, "USD"` → "$10.50"."""
    locale, pattern = HOME[currency]
    value = Decimal(amount).scaleb(-digits(currency))
    return format_currency(value, currency, format=pattern, locale=locale, currency_digits=True)


def format_plain(amount: int, currency: str = "IDR") -> str:
    """The amount as a price box shows it, without the symbol: 75000 → "75.000"."""
    return format_amount(amount, currency).replace(symbol(currency), "").strip()


def symbol(currency: str) -> str:
    """"Rp", "$", "RM", "€"."""
    written = format_amount(0, currency)
    return "".join(c for c in written if not (c.isdigit() or c in ".,") and not c.isspace()) or currency


def parse_amount(written: str, currency: str = "IDR") -> int:
    """What a seller types into a price box, in the smallest unit: "Rp 50.000" → 50000 (IDR),
    "10.50" → 1050 (USD). Raises ValueError with a message for the seller."""
    locale, _ = HOME[currency]
    places = digits(currency)
    text = (written or "").strip().removeprefix(symbol(currency)).strip().replace(" ", "")
    if not text:
        raise ValueError("price: required")
    example = format_amount(5 * 10 ** (places + 4), currency)
    try:
        # strict: "5.0.000" or "50,00.0" is a typing slip, not a number to guess at.
        value = parse_decimal(text, locale=locale, strict=True)
    except (NumberFormatError, InvalidOperation):
        raise ValueError(f"price: write a number such as {example}") from None
    smallest = value.scaleb(places)
    if smallest != smallest.to_integral_value():
        if places == 0:
            raise ValueError(f"price: whole {symbol(currency)} only, e.g. {example}")
        raise ValueError(f"price: write a number such as {example}")
    if smallest < 0:
        raise ValueError(f"price: write a number such as {example}")
    return int(smallest)
