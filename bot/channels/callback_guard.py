"""Who may push SMS replies to us: the secret in the callback path and the source-address allow-list.

The providers' SMS reply pushes carry no signature (Tencent Cloud's ``sign`` is
the signature *text*, Alibaba Cloud's SmsUp push has none), so a callback URL
is authenticated by what only the provider was told: a long random secret in
its path (``/callbacks/sms/tencent/{secret}``), compared in constant time, and,
when configured, the provider's published source ranges. The replay window on
the reply's own time is :func:`bot.channels.sms_inbound.replay_verdict`.
"""
from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AllowListError(ValueError):
    """A configured allow-list entry that is not an address or CIDR range."""


def secret_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of the path secret; an empty configured secret matches nothing."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def parse_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """CIDR ranges (``203.0.113.0/24``, ``2001:db8::/32``) or single addresses.

    Raises:
        AllowListError: for an entry that is neither.
    """
    out: list[Network] = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        try:
            out.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise AllowListError(f"FEEDBACKBOT_SMS_ALLOWED_SOURCES: {entry!r} is not an address or CIDR range") from exc
    return tuple(out)


@lru_cache(maxsize=16)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(entries)


def source_allowed(address: str | None, allowed: Sequence[str]) -> bool:
    """True when ``address`` lies in one of ``allowed``; an empty list allows any source.

    ``address`` is the peer the web app sees (behind a proxy: the address the
    proxy forwards in its trusted header; that choice belongs to the route).
    An unreadable address is refused when a list is configured.
    """
    networks = _networks(tuple(allowed))
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)
