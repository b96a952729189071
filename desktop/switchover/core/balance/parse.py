"""Each provider's documented balance answer turned into one reading (pure: bytes in, reading out).

Shapes, verified against the providers' documentation on 2026-11-29 (see resources/providers.toml):
- DeepSeek `GET /user/balance`: {"is_available": bool, "balance_infos": [{"currency": "CNY"|"USD",
  "total_balance": "110.00", "granted_balance": "10.00", "topped_up_balance": "100.00"}]} (amounts are strings
  in the current docs, numbers in older ones; both are read).
- Moonshot `GET /v1/users/me/balance`: {"code": 0, "data": {"available_balance": 49.58, "voucher_balance": 46.58,
  "cash_balance": 3.0}, "scode": "0x0", "status": true}; available <= 0 means inference calls are refused; cash
  may be negative (debt). No currency in the answer: USD on .ai, CNY on .cn.
- OpenRouter `GET /api/v1/key`: {"data": {"limit": n|null, "limit_remaining": n|null, "limit_reset": s|null,
  "usage": n, "usage_daily": n, "usage_weekly": n, "usage_monthly": n, "is_free_tier": bool, ...}} (null limit =
  unlimited key); `GET /api/v1/credits` {"data": {"total_credits": n, "total_usage": n}} needs a management key.
- SiliconFlow `GET /v1/user/info`: {"code": 20000, "message": "OK", "status": true, "data": {"balance": "0.88",
  "chargeBalance": "88.00", "totalBalance": "88.88", "status": "normal", ...}} (strings).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from switchover.core import safejson
from switchover.core.balance.results import BalanceStatus


@dataclass(frozen=True)
class Reading:
    """What one answer says. `status` is OK, EMPTY, UNAVAILABLE or BAD_RESPONSE (thresholds come later)."""

    status: BalanceStatus
    reason: str
    amount: float | None = None
    currency: str | None = None
    parts: tuple[tuple[str, float], ...] = ()


class ShapeError(ValueError):
    """The answer is JSON, but not the documented shape."""


def number(value: Any, what: str) -> float:
    """A finite amount from a JSON number or a numeric string ("110.00")."""
    if isinstance(value, bool) or value is None:
        raise ShapeError(f"{what} is missing or not a number")
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise ShapeError(f"{what} is not a number ({value[:20]!r})") from None
    else:
        raise ShapeError(f"{what} is not a number")
    if not math.isfinite(result):
        raise ShapeError(f"{what} is not a finite number")
    return result


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ShapeError(f"{what} is not a JSON object")
    return data


def _data_of(data: Any, provider: str, ok_code: int, wanted: str) -> dict[str, Any]:
    """The `data` object of a `{"code": …, "status": …, "data": {…}}` envelope that says it succeeded."""
    root = _object(data, "the answer")
    code = root.get("code")
    if root.get("status") is False or (code is not None and code != ok_code):
        raise ShapeError(f"{provider} answered code {code!r} (status {root.get('status')!r}) instead of {wanted}")
    return _object(root.get("data"), "data")


def _parts(info: dict[str, Any], names: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """The named amounts `info` has, as (name, amount) in the order given."""
    return tuple((name, number(info[name], f"data.{name}")) for name in names if info.get(name) is not None)


def load(body: bytes) -> Any:
    try:
        return safejson.loads(body)
    except ValueError:
        raise ShapeError("the answer is not valid JSON") from None


def _amount_reading(amount: float, currency: str | None, parts: tuple[tuple[str, float], ...], ok_reason: str,
                    empty_reason: str) -> Reading:
    if amount <= 0:
        return Reading(BalanceStatus.EMPTY, empty_reason, amount, currency, parts)
    return Reading(BalanceStatus.OK, ok_reason, amount, currency, parts)


def _split(parts: tuple[tuple[str, float], ...], names: dict[str, str]) -> str:
    """"10.00 granted + 100.00 topped up" from the provider's own breakdown."""
    shown = [f"{value:.2f} {names[name]}" for name, value in parts if name in names]
    return " + ".join(shown)


# ---------------------------------------------------------------- DeepSeek


def deepseek(data: Any) -> Reading:
    root = _object(data, "the answer")
    infos = root.get("balance_infos")
    available = root.get("is_available")
    if not isinstance(infos, list) or not infos:
        if available is False:
            return Reading(BalanceStatus.EMPTY, "DeepSeek says the account has no balance available for API calls.")
        raise ShapeError("balance_infos is missing or empty")
    entries = []
    for index, info in enumerate(infos[:16]):
        entry = _object(info, f"balance_infos[{index}]")
        currency = entry.get("currency")
        entries.append((
            str(currency).upper() if isinstance(currency, str) and currency else None,
            number(entry.get("total_balance"), f"balance_infos[{index}].total_balance"),
            tuple((name, number(entry[name], name)) for name in ("granted_balance", "topped_up_balance")
                  if entry.get(name) is not None),
        ))
    # An account holds one currency in practice; with several, the one with money left speaks.
    currency, total, parts = max(entries, key=lambda e: e[1])
    others = [f"{t:.2f} {c or ''}".strip() for c, t, _ in entries if (c, t) != (currency, total)]
    extra = f" (also: {', '.join(others)})" if others else ""
    if available is False:
        return Reading(
            BalanceStatus.EMPTY,
            f"DeepSeek says the balance cannot pay for API calls (is_available: false){extra}. Top up the account.",
            total, currency, parts,
        )
    split = _split(parts, {"granted_balance": "granted", "topped_up_balance": "topped up"})
    return _amount_reading(total, currency, parts, f"DeepSeek: {split or 'total balance'}{extra}.",
                           f"The DeepSeek balance is used up{extra}; requests will fail with 402 until you top up.")


# ---------------------------------------------------------------- Moonshot


def moonshot(data: Any, currency: str | None) -> Reading:
    info = _data_of(data, "Moonshot", 0, "a balance")
    available = number(info.get("available_balance"), "data.available_balance")
    parts = _parts(info, ("voucher_balance", "cash_balance"))
    cash = dict(parts).get("cash_balance")
    debt = f" The cash balance is negative ({cash:.2f}): the account owes money." if cash is not None and cash < 0 \
        else ""
    split = _split(parts, {"voucher_balance": "in vouchers", "cash_balance": "cash"})
    reading = _amount_reading(available, currency, parts, f"Moonshot: {split or 'available balance'}.",
                              "The Moonshot balance is used up: inference calls are refused until you top up."
                              + debt)
    if reading.status is BalanceStatus.OK and debt:
        return Reading(reading.status, reading.reason + debt, available, currency, parts)
    return reading


# ---------------------------------------------------------------- OpenRouter


@dataclass(frozen=True)
class OpenRouterKey:
    limit: float | None
    remaining: float | None
    reset: str | None
    usage_daily: float | None
    usage_weekly: float | None
    is_free_tier: bool


def openrouter_key(data: Any) -> OpenRouterKey:
    info = _object(_object(data, "the answer").get("data"), "data")

    def optional(name: str) -> float | None:
        value = info.get(name)
        return None if value is None else number(value, f"data.{name}")

    if "limit_remaining" not in info and "limit" not in info and "usage" not in info:
        raise ShapeError("data has none of limit, limit_remaining, usage")
    reset = info.get("limit_reset")
    return OpenRouterKey(
        limit=optional("limit"),
        remaining=optional("limit_remaining"),
        reset=str(reset) if isinstance(reset, str) and reset else None,
        usage_daily=optional("usage_daily"),
        usage_weekly=optional("usage_weekly"),
        is_free_tier=info.get("is_free_tier") is True,
    )


def openrouter_credits(data: Any) -> float:
    """Account credits left: total purchased minus total used."""
    info = _object(_object(data, "the answer").get("data"), "data")
    return number(info.get("total_credits"), "data.total_credits") - number(info.get("total_usage"),
                                                                            "data.total_usage")


def openrouter(key: OpenRouterKey, credits: float | None, credits_note: str, currency: str | None) -> Reading:
    """The binding limit: the key's own credit limit, or the account's credits, whichever is smaller."""
    parts: list[tuple[str, float]] = []
    if key.remaining is not None:
        parts.append(("limit_remaining", key.remaining))
    if key.limit is not None:
        parts.append(("limit", key.limit))
    if credits is not None:
        parts.append(("credits_remaining", credits))
    if key.usage_daily is not None:
        parts.append(("usage_daily", key.usage_daily))
    if key.usage_weekly is not None:
        parts.append(("usage_weekly", key.usage_weekly))
    known = [(value, what) for value, what in ((key.remaining, "key"), (credits, "account")) if value is not None]
    if not known:
        why = "the key has no credit limit" + (f", and {credits_note}" if credits_note else "")
        return Reading(BalanceStatus.UNAVAILABLE, f"OpenRouter: {why}; no amount to show.", None, currency,
                       tuple(parts))
    amount, which = min(known)
    resets = f" (the key's limit resets {key.reset})" if key.reset and which == "key" else ""
    if amount <= 0:
        if which == "account" and key.is_free_tier:
            return Reading(BalanceStatus.UNAVAILABLE,
                           "OpenRouter free-tier account: no credits, so only free models (':free') answer.",
                           amount, currency, tuple(parts))
        what = "The key's credit limit is used up" + resets if which == "key" else "The account's credits are used up"
        return Reading(BalanceStatus.EMPTY, f"OpenRouter: {what}; requests fail with 402 until you add credit.",
                       amount, currency, tuple(parts))
    if which == "key":
        source = f"left of the key's credit limit of {key.limit:.2f}" if key.limit is not None else \
            "left of the key's credit limit"
        source += resets
    else:
        source = "of account credits left"
    note = f"; {credits_note}" if credits is None and credits_note else ""
    return Reading(BalanceStatus.OK, f"OpenRouter: {amount:.2f} {source}{note}.", amount, currency, tuple(parts))


# ---------------------------------------------------------------- SiliconFlow


def siliconflow(data: Any, currency: str | None) -> Reading:
    info = _data_of(data, "SiliconFlow", 20000, "the account information")
    total = number(info.get("totalBalance"), "data.totalBalance")
    parts = _parts(info, ("balance", "chargeBalance"))
    split = _split(parts, {"balance": "granted", "chargeBalance": "charged"})
    return _amount_reading(total, currency, parts, f"SiliconFlow: {split or 'total balance'}.",
                           "The SiliconFlow balance is used up; requests will fail until you top up.")
