"""Dynamic QRIS with the exact amount due, built from a seller's static code."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from workflows import qris
from workflows.errors import InvalidInput


def static_payload() -> str:
    """A static QRIS built by hand, field by field."""
    fields = [
        ("00", "01"),  # payload format indicator
        ("01", "11"),  # static
        ("26", "0016ID.CO.TOKO.WWW0118936000140000012345"),  # merchant account information
        ("52", "5814"),  # merchant category
        ("53", "360"),  # rupiah
        ("58", "ID"),
        ("59", "TOKO DIGITAL"),
        ("60", "JAKARTA"),
    ]
    body = "".join(f"{t}{len(v):02d}{v}" for t, v in fields) + "6304"
    return body + qris.crc16(body)


def test_crc_is_ccitt_false():
    assert qris.crc16("123456789") == "29B1"  # the algorithm's published check value
    assert qris.crc16("") == "FFFF"


def test_a_dynamic_code_carries_the_exact_amount_before_the_country():
    dynamic = qris.with_amount(static_payload(), 50_137)
    objects = qris.parse(dynamic)
    tags = [t for t, _ in objects]
    assert ("01", "12") in objects and ("54", "50137") in objects
    assert tags.index("54") == tags.index("58") - 1 and tags[-1] == "63"
    assert dynamic[-4:] == qris.crc16(dynamic[:-4]) and dynamic[-8:-4] == "6304"
    assert qris.amount_of(dynamic) == 50_137
    qris.check_static(dynamic)  # still a valid payload
    # A second ticket's code replaces the amount, never stacks another.
    assert qris.amount_of(qris.with_amount(dynamic, 75_001)) == 75_001


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda p: p[:-1] + ("0" if p[-1] != "0" else "1"), "CRC does not match"),
        (lambda p: p.replace("JAKARTA", "JAKARTX"), "CRC does not match"),
        (lambda p: p[:-8], "no CRC"),
        (lambda p: "0002" + p, "malformed|CRC"),
        (lambda p: p[:20], r"cut short|malformed|CRC"),
    ],
)
def test_a_broken_static_code_is_refused_clearly(mangle, message):
    with pytest.raises(InvalidInput, match=message):
        qris.with_amount(mangle(static_payload()), 10_000)


def test_a_code_without_merchant_fields_is_refused():
    fields = [("00", "01"), ("01", "11"), ("58", "ID")]
    with pytest.raises(InvalidInput, match=r"merchant category.*merchant account"):
        qris.check_static(qris.with_crc(fields))


@pytest.mark.parametrize("amount", [0, -5, 10**13, 2.5, "100", True])
def test_absurd_amounts_are_refused(amount):
    with pytest.raises(InvalidInput, match="positive whole number"):
        qris.with_amount(static_payload(), amount)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=10**12))
def test_any_amount_round_trips(amount):
    dynamic = qris.with_amount(static_payload(), amount)
    assert qris.amount_of(dynamic) == amount
    assert qris.crc16(dynamic[:-4]) == dynamic[-4:]


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=300))
def test_random_text_is_refused_cleanly_never_crashes(garbage):
    try:
        qris.with_amount(garbage, 10_000)
    except InvalidInput:
        return
    raise AssertionError("a random string was accepted as a QRIS code")


def test_the_code_renders_as_a_png_image():
    png = qris.qr_png(qris.with_amount(static_payload(), 50_137))
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size[0] == image.size[1] > 200


def test_a_sellers_qris_image_is_read_back_into_its_payload():
    payload = static_payload()
    assert qris.payload_from_image(qris.qr_png(payload)) == payload


def test_an_image_without_a_qr_code_or_a_fake_image_is_refused():
    blank = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(blank, format="PNG")
    with pytest.raises(InvalidInput, match="no QR code"):
        qris.payload_from_image(blank.getvalue())
    with pytest.raises(InvalidInput, match="not an image"):
        qris.payload_from_image(b"GIF89a-but-not-really" * 10)
    with pytest.raises(InvalidInput, match=r"CRC|lacks"):
        qris.payload_from_image(qris.qr_png("000201010211" + "6304ABCD"))


def test_a_qr_code_that_is_not_a_shops_qris_says_so_in_the_sellers_language():
    """A well-formed EMV code without a merchant (e.g. another app's QR) is refused with words
    a seller understands, in Indonesian for an Indonesian store."""
    body = "000201" + "010211" + "5303360" + "5802ID" + "6304"
    with pytest.raises(InvalidInput) as refused:
        qris.check_static(body + qris.crc16(body))
    assert refused.value.in_locale("id") == (
        "Kode QRIS: data merchant tidak lengkap (nama, kota, negara, mata uang atau akun); "
        "tempel seluruh kode QRIS toko Anda, bukan kode QR lain."
    )
    assert "merchant's details are incomplete" in refused.value.in_locale("en")
