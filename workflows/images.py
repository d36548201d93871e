"""Checking that an uploaded file is really an image, safely (payment proofs, product images).

Pillow reads only the header to verify; the pixel count is bounded before decoding so a
decompression bomb is refused instead of eating the worker's memory. Metadata is stripped by
re-encoding when a clean copy is wanted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from workflows.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 × 5000
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


@dataclass(frozen=True)
class CheckedImage:
    """An upload that really is an image: its format, MIME type and size in pixels."""

    format: str
    content_type: str
    width: int
    height: int


NOT_AN_IMAGE = "the file is not an image (PNG, JPEG, WebP or GIF)"


def check_image(data: bytes, max_bytes: int = MAX_BYTES) -> CheckedImage:
    """The image's format and size, or InvalidInput saying clearly what is wrong."""
    if len(data) > max_bytes:
        mb = max_bytes // (1024 * 1024)
        raise InvalidInput(f"the image is larger than {mb} MB", key="images_too_big", mb=mb)
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidInput(
                    f"the image is too large ({width}×{height} pixels)",
                    key="images_too_many_pixels",
                    size=f"{width}×{height}",
                    millions=MAX_PIXELS // 1_000_000,
                )
            image.verify()
            kind = image.format or ""
    except Image.DecompressionBombError:
        millions = MAX_PIXELS // 1_000_000
        raise InvalidInput(
            f"the image is too large (over {millions} million pixels)", key="images_bomb", millions=millions
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise InvalidInput(NOT_AN_IMAGE, key="images_not_an_image") from None
    if kind not in FORMATS:
        raise InvalidInput(
            f"{kind or 'this'} images are not accepted; use PNG, JPEG, WebP or GIF",
            key="images_format",
            kind=kind or "?",
        )
    return CheckedImage(kind, FORMATS[kind], width, height)


def _clean_copy(image: Image.Image) -> Image.Image:
    """The pixels alone: a new image carries no EXIF, XMP, ICC or text chunks."""
    image.load()
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        clean.putpalette(image.getpalette() or [])
        if "transparency" in image.info:
            clean.info["transparency"] = image.info["transparency"]
    return clean


def strip_metadata(data: bytes) -> bytes:
    """The same picture re-encoded without EXIF or other metadata (location, camera…)."""
    checked = check_image(data)
    with Image.open(io.BytesIO(data)) as image:
        out = io.BytesIO()
        _clean_copy(image).save(out, format=checked.format)
    return out.getvalue()


@dataclass(frozen=True)
class PreparedImage:
    """An uploaded image ready to keep: cleaned of metadata, with a small PNG thumbnail."""

    checked: CheckedImage
    clean: bytes
    thumbnail: bytes

    @property
    def extension(self) -> str:
        return {"JPEG": "jpg"}.get(self.checked.format, self.checked.format.lower())


def prepare_upload(data: bytes, thumbnail_px: int = 256) -> PreparedImage:
    """Check an upload, strip its metadata and make a thumbnail; InvalidInput says what is wrong."""
    checked = check_image(data)
    try:
        with Image.open(io.BytesIO(data)) as image:
            clean = _clean_copy(image)
    except (OSError, SyntaxError, Image.DecompressionBombError, ValueError):
        raise InvalidInput(NOT_AN_IMAGE, key="images_not_an_image") from None
    out = io.BytesIO()
    clean.save(out, format=checked.format)
    thumb = clean.convert("RGBA") if clean.mode not in ("RGB", "RGBA") else clean.copy()
    thumb.thumbnail((thumbnail_px, thumbnail_px))
    small = io.BytesIO()
    thumb.save(small, format="PNG")
    return PreparedImage(checked, out.getvalue(), small.getvalue())
