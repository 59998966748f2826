"""Where a webhook may point: public internet addresses only.

A webhook URL is chosen by an organisation and fetched by the server, so without a guard any
organisation could make the platform send requests into its own network: the database, the
chain node's RPC port, a cloud's instance metadata at 169.254.169.254. Loopback, private,
link-local, carrier-grade NAT, multicast, reserved and unspecified addresses (IPv4, IPv6 and
IPv4-mapped IPv6) are refused when the URL is set and again when each delivery is posted, after
the name is resolved: a name may resolve elsewhere later (DNS rebinding), so the delivery is
sent to the very address that was checked, the name kept for ``Host`` and TLS (SNI and the
certificate check). ``SENTRACE_WEBHOOK_ALLOW_PRIVATE`` lifts the guard for a local receiver in
development and tests; production refuses that setting.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookAddressError(Exception):
    """The webhook's host cannot be posted to; ``address`` names the refused one, if any."""

    def __init__(self, host: str, address: str | None) -> None:
        super().__init__(f"{host} → {address}" if address else f"{host} does not resolve")
        self.host = host
        self.address = address


def is_internal(address: IPAddress) -> bool:
    """Whether ``address`` lies outside the public internet (see the module docstring)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` names (an IP literal names itself), in the resolver's order."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def checked_address(host: str, port: int, *, allow_private: bool) -> IPAddress:
    """The address to post to: the first ``host`` resolves to, once every one is public.
    Raises :class:`WebhookAddressError` for a name that does not resolve or any internal
    address among its answers (one internal answer is enough to refuse: a resolver may hand
    out any of them)."""
    addresses = resolve(host, port)
    if not addresses:
        raise WebhookAddressError(host, None)
    if not allow_private:
        for address in addresses:
            if is_internal(address):
                raise WebhookAddressError(host, str(address))
    return addresses[0]


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def post_pinned(
    url: str, body: bytes, headers: dict[str, str], *, allow_private: bool, timeout: float
) -> int:
    """POST ``body`` to ``url`` at the address :func:`checked_address` approves, with the
    URL's name as ``Host`` and as the TLS server name; redirects are not followed (a redirect
    could lead anywhere). Returns the status."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or default_port(parts.scheme)
    address = checked_address(host, port, allow_private=allow_private)
    literal = f"[{address}]" if address.version == 6 else str(address)
    pinned = parts._replace(netloc=f"{literal}:{port}").geturl()
    name = f"[{host}]" if ":" in host else host
    host_header = name if parts.port is None else f"{name}:{parts.port}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        request = client.build_request(
            "POST",
            pinned,
            content=body,
            headers={**headers, "Host": host_header},
            extensions=extensions,
        )
        return client.send(request).status_code
