"""The outbound-URL policy (issue 19): what a URL given through the API may reach, checked when
the URL is given and again at every connection.

A URL that an administrator types in (a hotlist feed, a token endpoint, a webhook receiver)
is fetched by the server, from inside the deployment's network: without a policy it reaches
PostgreSQL, the object store, the other services and the cloud's metadata endpoint. The rules:

- ``https://`` only, unless the operator allows ``http://`` (``OUTBOUND_ALLOW_HTTP``);
- no credentials in the URL (``user:password@``): they would be stored, shown and audited;
- the host's every address, after DNS resolution, is a public unicast one: never loopback,
  private (RFC 1918, ULA), link-local, CGNAT, multicast, unspecified, reserved, site-local or
  a cloud metadata address, whatever the spelling (``2130706433``, ``0x7f.1``, ``[::ffff:...]``,
  6to4 and NAT64 forms of IPv4 are unwrapped first), unless it lies in a network the operator
  names (``OUTBOUND_ALLOW_NETWORKS``); metadata addresses are refused even there.

Requests go through ``OutboundClient``: its transport checks each request's URL (every
redirect hop, were redirects followed; they are not), resolves the host itself, checks every
address and connects to the address it checked, so a name that resolves differently at
connect time (DNS rebinding) gains nothing. Proxies from the environment are ignored.
``OutboundBlocked`` is what a refusal raises; its text is safe for a caller and names no
address. Callers report any other failure without the target's answer (no status, no
exception text: "could not be fetched"), the details going to the server log.

Written here rather than taken from PyPI: ``safehttpx`` only does GET and resolves through a
public DNS server (unusable on an internal network, and it leaks the names); ``httpx-secure``
rewrites each request's URL to an IP in an event hook, caches resolutions for minutes and has
no notion of operator-allowed networks. A guarded httpcore network backend is a few dozen
lines and keeps httpx's TLS (certificate checked against the host name) untouched.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import anyio
import httpcore
import httpx
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from ._clients import tls_context

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

# Instance metadata endpoints (AWS, GCP, Azure, OpenStack; Alibaba; AWS over IPv6): never
# reachable, even inside a network the operator allows.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_ADDRESS_REFUSED = "the host's address is not a public one (loopback, private, link-local or reserved)"


class OutboundBlocked(ValueError):
    """A URL or address the outbound policy refuses; ``str()`` is safe to show a caller."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"blocked by the outbound URL policy: {reason}")


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """``"127.0.0.0/8, 10.1.0.0/16"`` -> networks; a bare address is a /32 (or /128)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address; else ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _public(ip: IPAddress) -> bool:
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    )


def _literal(host: str) -> IPAddress | None:
    """The address a host written as a number names: dotted, IPv6, or the legacy forms that
    the C resolver accepts (``2130706433``, ``0x7f.1``, ``127.1``, ``0177.0.0.1``)."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver answers for ``host``."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


@dataclass(frozen=True)
class OutboundPolicy:
    """What outbound URLs may reach; the default allows public ``https://`` hosts only."""

    allow_http: bool = False
    allow_networks: tuple[IPNetwork, ...] = ()
    resolver: Resolver = system_resolver

    def address_allowed(self, ip: IPAddress) -> bool:
        inner = _unwrap(ip)
        if ip in METADATA_ADDRESSES or inner in METADATA_ADDRESSES:
            return False
        if any(a in net for net in self.allow_networks for a in {ip, inner} if a.version == net.version):
            return True
        return _public(ip) and _public(inner)

    def check_address(self, ip: IPAddress) -> None:
        if not self.address_allowed(ip):
            raise OutboundBlocked(_ADDRESS_REFUSED)

    def check_url(self, url: str | httpx.URL) -> httpx.URL:
        """The checks that need no network: scheme, credentials, and a host written as an
        address. Answers the parsed URL; raises ``OutboundBlocked``."""
        try:
            parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise OutboundBlocked("not a valid URL") from None
        schemes = {"https", "http"} if self.allow_http else {"https"}
        if parsed.scheme not in schemes:
            raise OutboundBlocked(
                "only https:// URLs are allowed"
                if not self.allow_http
                else "only http(s):// URLs are allowed"
            )
        if parsed.userinfo:
            raise OutboundBlocked("a URL may not carry credentials (user:password@)")
        if not parsed.host:
            raise OutboundBlocked("the URL names no host")
        address = _literal(parsed.host)
        if address is not None:
            self.check_address(address)
        return parsed

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The host's addresses, every one of them allowed; raises ``OutboundBlocked`` if any
        is not (a name that also answers an internal address is refused as a whole)."""
        address = _literal(host)
        addresses = [address] if address is not None else await self.resolver(host, port)
        if not addresses:
            raise OutboundBlocked("the host has no address")
        for ip in addresses:
            self.check_address(ip)
        return addresses

    async def check(self, url: str) -> httpx.URL:
        """The check when a URL is given through the API: ``check_url`` and, where the name
        resolves now, every address it resolves to. A name that does not resolve yet passes
        here; the connection checks it again in any case."""
        parsed = self.check_url(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            with anyio.fail_after(5):
                await self.resolve(parsed.host, port)
        except (OSError, TimeoutError):
            pass
        return parsed


class OutboundSettings(BaseSettings):
    """The operator's allow-list, unprefixed, for a service settings class to inherit."""

    # Plain http:// to outbound URLs (off: https only).
    outbound_allow_http: bool = Field(False, validation_alias="OUTBOUND_ALLOW_HTTP")
    # Comma list of networks outbound URLs may reach although not public (e.g. 10.1.0.0/16).
    outbound_allow_networks: str = Field("", validation_alias="OUTBOUND_ALLOW_NETWORKS")

    @field_validator("outbound_allow_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)  # a typo fails at start, not at the first webhook
        return value

    @property
    def outbound_policy(self) -> OutboundPolicy:
        return OutboundPolicy(
            allow_http=self.outbound_allow_http, allow_networks=parse_networks(self.outbound_allow_networks)
        )


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, and connects to a checked one."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await self._policy.resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout("name resolution timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"name resolution failed: {exc}") from None
        failure: Exception = httpcore.ConnectError("no address")
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundBlocked("unix sockets are not reachable")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class OutboundTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport over the guarded backend; each request's URL is checked first."""

    def __init__(self, policy: OutboundPolicy) -> None:
        super().__init__(verify=tls_context(trust_env=False), trust_env=False)
        self._policy = policy
        # httpx takes no network backend, so the pool it made (unopened) is replaced.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls_context(trust_env=False),
            network_backend=_GuardedBackend(policy),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._policy.check_url(request.url)
        return await super().handle_async_request(request)


class OutboundClient(httpx.AsyncClient):
    """The only client for URLs given through the API: the policy at every connection, no
    redirects followed, no proxies or credentials from the environment."""

    def __init__(self, policy: OutboundPolicy, *, timeout: float = 10.0) -> None:
        super().__init__(
            transport=OutboundTransport(policy),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        )
        self.policy = policy
