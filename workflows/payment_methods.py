"""The store's payment methods: bank accounts, e-wallets, QRIS and crypto addresses, each
checked field by field so a buyer never sees a half-filled account."""

from __future__ import annotations

import re
from typing import Any

from beanie import PydanticObjectId
from pydantic import ValidationError

from models.payment_method import PaymentKind, PaymentMethod
from models.ticket import Actor
from workflows import audit, qris
from workflows.errors import InvalidInput, Problem

BANKS = ["BCA", "BNI", "BRI", "Mandiri", "BSI", "CIMB Niaga", "Permata", "Danamon", "BTN", "Jago", "SeaBank"]
EWALLETS = ["GoPay", "OVO", "DANA", "ShopeePay", "LinkAja"]
NETWORKS = ["TRC20", "ERC20", "BEP20", "Polygon", "Solana", "Bitcoin", "TON"]

_ACCOUNT_NUMBER = re.compile(r"^\d{5,20}$")
_PHONE = re.compile(r"^(\+62|62|0)8\d{7,12}$")
_CRYPTO_ADDRESS = re.compile(r"^[A-Za-z0-9:_-]{20,128}$")
_NAME = re.compile(r"^[^\n\r]{2,80}$")


def _refuse(field: str, kind: str, limit: object = None) -> InvalidInput:
    """A refusal naming the field in the shop's words, said in the seller's language."""
    return InvalidInput(problems=(Problem(field, kind, limit),))


def _not_found() -> InvalidInput:
    # Removed meanwhile (another tab, another seller) or another store's: said in the reader's language.
    return InvalidInput("no such payment method in this store", key="payment_methods_not_found")


def _required(details: dict[str, str], key: str) -> str:
    given = details.get(key)
    # Only text counts: a form that lost a field sends None, which must not become "None".
    value = given.strip() if isinstance(given, str) else ""
    if not value:
        raise _refuse(key, "missing")
    return value


def _holder(details: dict[str, str]) -> str:
    name = _required(details, "account_name")
    if not _NAME.match(name):
        raise _refuse("account_name", "one_line", "2–80")
    return name


def check_details(kind: PaymentKind, details: dict[str, str]) -> dict[str, str]:
    """The fields a buyer needs for this kind of method, cleaned; InvalidInput names a bad one."""
    if kind is PaymentKind.BANK:
        number = re.sub(r"[\s.-]", "", _required(details, "account_number"))
        if not _ACCOUNT_NUMBER.match(number):
            raise _refuse("account_number", "digits", "5–20")
        return {"account_number": number, "account_name": _holder(details)}
    if kind is PaymentKind.EWALLET:
        number = re.sub(r"[\s.-]", "", _required(details, "number"))
        if not _PHONE.match(number):
            raise _refuse("number", "phone")
        return {"number": number, "account_name": _holder(details)}
    if kind is PaymentKind.QRIS:
        payload = _required(details, "payload")
        merchant = dict(qris.check_static(payload)).get("59", "")
        cleaned = {"payload": payload.strip()}
        if details.get("image_ref"):
            cleaned["image_ref"] = details["image_ref"]
        if merchant:
            cleaned["merchant_name"] = merchant
        return cleaned
    address = _required(details, "address")
    if not _CRYPTO_ADDRESS.match(address):
        raise _refuse("address", "wallet_address")
    network = _required(details, "network")
    if len(network) > 30:
        raise _refuse("network", "too_long", 30)
    return {"address": address, "network": network}


async def list_methods(guild_id: int) -> list[PaymentMethod]:
    """Every method of the store in the order buyers see them."""
    return await PaymentMethod.find(PaymentMethod.guild_id == guild_id).sort("order", "created_at").to_list()


async def add_method(
    guild_id: int,
    kind: PaymentKind | str,
    provider: str,
    details: dict[str, str],
    instructions: str = "",
    active: bool = True,
    by: Actor | None = None,
) -> PaymentMethod:
    """Add a method at the end of the list, after checking every field."""
    try:
        kind = PaymentKind(kind)
    except ValueError:
        raise _refuse("kind", "one_of", "bank, ewallet, qris, crypto") from None
    provider = (provider or "").strip() or ("QRIS" if kind is PaymentKind.QRIS else "")
    if not provider:
        raise _refuse("provider", "missing")
    cleaned = check_details(kind, details)
    last = await PaymentMethod.find(PaymentMethod.guild_id == guild_id).sort("-order").first_or_none()
    try:
        method = PaymentMethod(
            guild_id=guild_id,
            kind=kind,
            provider=provider,
            details=cleaned,
            instructions=(instructions or "").strip(),
            active=active,
            order=(last.order + 1) if last else 0,
        )
    except ValidationError as error:
        raise InvalidInput.explaining(error) from None
    await method.insert()
    await audit.record(
        guild_id, by, "payment_method.added", subject=method.provider, subject_id=method.id,
        after=_audited(method), always=True,
    )
    return method


def _audited(method: PaymentMethod) -> dict[str, Any]:
    """What the audit log shows of a method: the same details buyers are shown (no secret lives
    in a method: gateway keys are the store's, `store_settings.set_payment_secrets`)."""
    return method.model_dump(include={"kind", "provider", "details", "instructions", "active"})


async def get_method(guild_id: int, method_id: PydanticObjectId | str) -> PaymentMethod:
    """A method of this store, or InvalidInput (also for another store's method)."""
    try:
        method = await PaymentMethod.get(PydanticObjectId(method_id))
    except Exception:
        method = None
    if method is None or method.guild_id != guild_id:
        raise _not_found()
    return method


async def update_method(
    guild_id: int, method_id: PydanticObjectId | str, *, by: Actor | None = None, **changes: Any
) -> PaymentMethod:
    """Change provider, details, instructions or the active flag, with the same checks as
    `add_method`: details are re-checked as a whole (a field not given keeps its saved value)."""
    method = await get_method(guild_id, method_id)
    unknown = set(changes) - {"provider", "details", "instructions", "active"}
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} here")
    if "provider" in changes:
        changes["provider"] = (changes["provider"] or "").strip() or (
            "QRIS" if method.kind is PaymentKind.QRIS else ""
        )
        if not changes["provider"]:
            raise _refuse("provider", "missing")
    if "instructions" in changes:
        changes["instructions"] = (changes["instructions"] or "").strip()
    if "details" in changes:
        given = {k: v for k, v in changes["details"].items() if v is not None}
        kept = dict(method.details)
        if given.get("payload", kept.get("payload")) != kept.get("payload"):
            # A new QRIS code: the saved picture shows the old one, so it goes unless a new
            # picture of the new code comes with it (buyers scan the picture).
            kept.pop("image_ref", None)
            kept.pop("merchant_name", None)
        changes["details"] = check_details(method.kind, {**kept, **given})
    try:
        updated = PaymentMethod.model_validate({**method.model_dump(), **changes})
    except ValidationError as error:
        raise InvalidInput.explaining(error) from None
    await PaymentMethod.get_pymongo_collection().update_one(
        {"_id": method.id}, {"$set": {key: getattr(updated, key) for key in changes}}
    )
    await audit.record(
        guild_id, by, "payment_method.changed", subject=updated.provider, subject_id=method.id,
        before=_audited(method), after=_audited(updated),
    )
    return updated


async def move_method(
    guild_id: int, method_id: PydanticObjectId | str, step: int, by: Actor | None = None
) -> None:
    """Move a method up (-1) or down (+1) in the buyers' list."""
    methods = await list_methods(guild_id)
    index = next((i for i, m in enumerate(methods) if str(m.id) == str(method_id)), None)
    if index is None:
        raise _not_found()
    other = index + step
    if not 0 <= other < len(methods):
        return
    moved = methods[index]
    methods[index], methods[other] = methods[other], methods[index]
    for order, method in enumerate(methods):
        if method.order != order:
            await PaymentMethod.get_pymongo_collection().update_one(
                {"_id": method.id}, {"$set": {"order": order}}
            )
    await audit.record(
        guild_id, by, "payment_method.moved", subject=moved.provider, subject_id=moved.id,
        before={"position": index + 1}, after={"position": other + 1},
    )


async def delete_method(guild_id: int, method_id: PydanticObjectId | str, by: Actor | None = None) -> None:
    """Remove a method (tickets that used it keep their own record of the payment)."""
    method = await get_method(guild_id, method_id)
    await PaymentMethod.get_pymongo_collection().delete_one({"_id": method.id})
    await audit.record(
        guild_id, by, "payment_method.removed", subject=method.provider, subject_id=method.id,
        before=_audited(method), always=True,
    )
