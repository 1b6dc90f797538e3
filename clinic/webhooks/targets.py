"""Server-side request forgery guard for webhook URLs.

A URL must be http(s) and every address its host resolves to must be public:
loopback, private, link-local, multicast, reserved and unspecified addresses
are refused (cloud metadata services live on link-local addresses). The check
runs when an endpoint is saved and again before each delivery, since DNS can
change in between. ``WEBHOOKS_ALLOW_PRIVATE_TARGETS=1`` lifts it (tests, and
clinics whose practice-management system runs on their own network).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeTarget(ValueError):
    pass


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_target(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("Use an http or https URL with a host name.")
    if parts.username or parts.password:
        raise UnsafeTarget("Credentials in the URL are not accepted.")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise UnsafeTarget("The host name does not resolve.") from exc
    if not infos or not all(_is_public(str(info[4][0])) for info in infos):
        raise UnsafeTarget("The URL points at a private, loopback or link-local address.")
