"""QRIS (Indonesia's EMVCo merchant-presented QR): checking a seller's static code and making a
dynamic one per ticket that carries the exact amount due, so the buyer cannot mistype it.

A payload is a chain of data objects `ID(2) LEN(2) VALUE`, ending with the CRC object `6304` +
four uppercase hex digits: CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of everything before
them, "6304" included. A dynamic code has point of initiation (tag 01) "12" and the amount in
tag 54, placed before the country code (tag 58).
"""

from __future__ import annotations

import io

import segno
import zxingcpp
from PIL import Image

from workflows.errors import InvalidInput
from workflows.images import check_image

MERCHANT_ACCOUNT_TAGS = {f"{n:02d}" for n in range(26, 52)}
REQUIRED = {
    "00": "payload format",
    "52": "merchant category",
    "53": "currency",
    "58": "country",
    "59": "merchant name",
    "60": "merchant city",
}
MAX_AMOUNT_DIGITS = 13


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE of `data` as four uppercase hex digits ("123456789" → "29B1")."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def parse(payload: str) -> list[tuple[str, str]]:
    """The data objects of a payload, in order; InvalidInput when it is not well formed."""
    objects: list[tuple[str, str]] = []
    position = 0
    while position < len(payload):
        head = payload[position : position + 4]
        if len(head) < 4 or not head.isdigit():
            raise InvalidInput(
                f"QRIS payload is malformed at character {position + 1}",
                key="payment_methods_qris_malformed",
                position=position + 1,
            )
        tag, length = head[:2], int(head[2:])
        value = payload[position + 4 : position + 4 + length]
        if len(value) != length:
            raise InvalidInput(
                f"QRIS field {tag} is cut short", key="payment_methods_qris_cut_short", tag=tag
            )
        objects.append((tag, value))
        position += 4 + length
    return objects


def serialize(objects: list[tuple[str, str]]) -> str:
    """Data objects back into a payload (`ID LEN VALUE` each)."""
    return "".join(f"{tag}{len(value):02d}{value}" for tag, value in objects)


def with_crc(objects: list[tuple[str, str]]) -> str:
    """The payload with a freshly computed CRC object at the end."""
    body = serialize([(t, v) for t, v in objects if t != "63"]) + "6304"
    return body + crc16(body)


def check_static(payload: str) -> list[tuple[str, str]]:
    """Validate a seller's QRIS payload (CRC and the merchant fields buyers' apps need)."""
    payload = payload.strip()
    objects = parse(payload)
    if not objects or objects[-1][0] != "63" or len(objects[-1][1]) != 4:
        raise InvalidInput("QRIS payload has no CRC at the end", key="payment_methods_qris_no_crc")
    if crc16(payload[:-4]) != objects[-1][1].upper():
        raise InvalidInput(
            "QRIS payload's CRC does not match: the code is damaged or mistyped",
            key="payment_methods_qris_crc",
        )
    tags = {tag for tag, _ in objects}
    missing = [name for tag, name in REQUIRED.items() if tag not in tags]
    if not tags & MERCHANT_ACCOUNT_TAGS:
        missing.append("merchant account")
    if missing:
        raise InvalidInput(f"QRIS payload lacks: {', '.join(missing)}", key="payment_methods_qris_lacks")
    return objects


def with_amount(static_payload: str, amount: int) -> str:
    """A dynamic QRIS for exactly `amount` rupiah, built from the seller's static payload."""
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int)
        or amount <= 0
        or len(str(amount)) > MAX_AMOUNT_DIGITS
    ):
        raise InvalidInput("the QRIS amount must be a positive whole number of rupiah")
    objects = [(t, v) for t, v in check_static(static_payload) if t not in ("54", "63")]
    objects = [(t, "12") if t == "01" else (t, v) for t, v in objects]
    if not any(t == "01" for t, _ in objects):
        objects.insert(1, ("01", "12"))
    country = next(i for i, (t, _) in enumerate(objects) if t == "58")
    objects.insert(country, ("54", str(amount)))
    return with_crc(objects)


def amount_of(payload: str) -> int | None:
    """The amount a payload asks for, if any."""
    return next((int(v) for t, v in parse(payload) if t == "54"), None)


def qr_png(payload: str, scale: int = 8) -> bytes:
    """The payload as a scannable PNG."""
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def payload_from_image(data: bytes) -> str:
    """The QRIS payload printed in a seller's uploaded image (a photo or a screenshot of the
    code), checked like a pasted one. InvalidInput when it is no image, has no QR code, or the
    code is not a valid QRIS."""
    check_image(data)
    with Image.open(io.BytesIO(data)) as image:
        found = zxingcpp.read_barcodes(image.convert("RGB"), formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:
        raise InvalidInput(
            "no QR code found in the image; upload a sharper picture of the QRIS",
            key="payment_methods_qris_no_code",
        )
    payload = found[0].text.strip()
    check_static(payload)
    return payload
