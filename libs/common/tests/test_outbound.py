"""The outbound-URL policy (issue 19, item 2): every spelling of an internal address is refused,
before and after DNS resolution and again at connect time (DNS rebinding), redirect hops are
checked, credentials in URLs are refused, and failures do not tell the target's answers apart."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI, Request, Response
from pydantic import ValidationError

from alpr_common import OutboundBlocked, OutboundClient, OutboundPolicy, OutboundSettings, send_signed
from alpr_common._outbound import IPAddress
from alpr_devstack.components import free_port
from alpr_devstack.testing import serve_http

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")

INTERNAL = [
    "https://127.0.0.1/",
    "https://2130706433:8105/",  # 127.0.0.1 as one number
    "https://0x7f.1/",  # and in hex, short form
    "https://0177.0.0.1/",  # and in octal
    "https://127.1/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "https://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "https://169.254.169.254/latest/meta-data/",
    "https://[fd00:ec2::254]/",
    "https://100.100.100.200/",
    "https://10.0.0.5/",
    "https://172.16.1.1/",
    "https://192.168.1.1/",
    "https://[fd12:3456::1]/",  # ULA
    "https://[fe80::1]/",
    "https://100.64.0.1/",  # CGNAT
    "https://224.0.0.1/",
    "https://[ff02::1]/",
    "https://0.0.0.0/",
    "https://[::]/",
    "https://240.0.0.1/",
    "https://[fec0::1]/",  # site-local
]


@pytest.mark.parametrize("url", INTERNAL)
def test_every_spelling_of_an_internal_address_is_refused(url: str) -> None:
    with pytest.raises(OutboundBlocked, match="outbound URL policy"):
        OutboundPolicy(allow_http=True).check_url(url)


def test_public_https_passes_and_http_only_when_allowed() -> None:
    assert OutboundPolicy().check_url("https://8.8.8.8/feed").host == "8.8.8.8"
    assert OutboundPolicy().check_url("https://[2606:4700::1111]/").host == "2606:4700::1111"
    with pytest.raises(OutboundBlocked, match="only https"):
        OutboundPolicy().check_url("http://8.8.8.8/feed")
    assert OutboundPolicy(allow_http=True).check_url("http://8.8.8.8/feed").scheme == "http"
    for url in ("ftp://8.8.8.8/", "file:///etc/passwd", "gopher://8.8.8.8/", "not a url", "https:///x"):
        with pytest.raises(OutboundBlocked):
            OutboundPolicy(allow_http=True).check_url(url)


def test_credentials_in_a_url_are_refused() -> None:
    """Issue 19, item 7: ``user:password@`` would be stored, shown and written to the ledger."""
    for url in ("https://feed:s3cret@8.8.8.8/", "https://token@8.8.8.8/", "https://:pw@example.org/"):
        with pytest.raises(OutboundBlocked, match="credentials"):
            OutboundPolicy().check_url(url)


def test_the_operator_allows_named_networks_but_never_metadata() -> None:
    policy = OutboundPolicy(
        allow_networks=(LOOPBACK, ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fd00::/8"))
    )
    policy.check_url("https://127.0.0.1:8443/")
    policy.check_url("https://[::ffff:127.0.0.1]/")
    policy.check_url("https://169.254.10.1/")
    for url in ("https://169.254.169.254/", "https://[fd00:ec2::254]/", "https://10.0.0.1/"):
        with pytest.raises(OutboundBlocked):
            policy.check_url(url)


def test_settings_read_the_allow_list_and_refuse_a_typo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBOUND_ALLOW_HTTP", "true")
    monkeypatch.setenv("OUTBOUND_ALLOW_NETWORKS", "127.0.0.0/8, 10.1.0.0/16,::1")
    policy = OutboundSettings().outbound_policy
    assert policy.allow_http
    assert [str(n) for n in policy.allow_networks] == ["127.0.0.0/8", "10.1.0.0/16", "::1/128"]
    monkeypatch.setenv("OUTBOUND_ALLOW_NETWORKS", "10.1.0.0/33")
    with pytest.raises(ValidationError, match="OUTBOUND_ALLOW_NETWORKS"):
        OutboundSettings()
    monkeypatch.delenv("OUTBOUND_ALLOW_NETWORKS")
    monkeypatch.delenv("OUTBOUND_ALLOW_HTTP")
    assert OutboundSettings().outbound_policy == OutboundPolicy()


async def test_a_name_is_checked_after_resolution() -> None:
    with pytest.raises(OutboundBlocked):
        await OutboundPolicy().check("https://localhost:8105/")
    # A name that does not resolve now passes the API check; the connection checks it again.
    assert (await OutboundPolicy().check("https://feeds.invalid/x.csv")).host == "feeds.invalid"


def fixed_resolver(*answers: list[str]) -> tuple[OutboundPolicy, list[str]]:
    """A policy whose resolver answers ``answers`` in turn (the last one from then on), allowing
    loopback; and the list of names it was asked."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        answer = answers[min(len(asked), len(answers)) - 1]
        return [ipaddress.ip_address(a) for a in answer]

    return OutboundPolicy(allow_http=True, allow_networks=(LOOPBACK,), resolver=resolve), asked


received: list[str] = []


def receiver_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def anything(request: Request, path: str) -> Response:
        received.append(path)
        if path == "redirect":
            return Response(status_code=302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
        if path in {"401", "403", "500"}:
            return Response(status_code=int(path))
        return Response("ok")

    return app


@asynccontextmanager
async def receiver() -> AsyncIterator[int]:
    received.clear()
    async with serve_http(receiver_app()) as url:
        yield int(url.rsplit(":", 1)[1])


async def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    """The client resolves the name itself and connects to the checked address: the system
    resolver, which does not know ``partner.invalid``, is never asked."""
    policy, asked = fixed_resolver(["127.0.0.1"])
    async with receiver() as port, OutboundClient(policy) as client:
        resp = await client.get(f"http://partner.invalid:{port}/feed")
    assert resp.status_code == 200
    assert received == ["feed"]
    assert asked == ["partner.invalid"]


async def test_dns_rebinding_is_refused_at_connect_time() -> None:
    """A name that answered a public address when the URL was given and an internal one when the
    request is sent (DNS rebinding) never reaches the internal one."""
    rebinding, asked = fixed_resolver(["93.184.216.34"], ["169.254.169.254"])
    await rebinding.check("https://partner.example/feed")  # the API check: public, accepted
    async with OutboundClient(rebinding) as client:
        with pytest.raises(OutboundBlocked):
            await client.get("https://partner.example/feed")
    assert asked == ["partner.example", "partner.example"]


async def test_a_name_with_one_internal_address_among_public_ones_is_refused() -> None:
    mixed, _ = fixed_resolver(["93.184.216.34", "10.0.0.7"])
    with pytest.raises(OutboundBlocked):
        await mixed.check("https://partner.example/")


async def test_a_loopback_name_is_refused_at_connect_time_unless_allowed() -> None:
    async with receiver() as port:
        async with OutboundClient(OutboundPolicy(allow_http=True)) as strict:
            with pytest.raises(OutboundBlocked):
                await strict.get(f"http://localhost:{port}/feed")
            with pytest.raises(OutboundBlocked):
                await strict.get(f"http://2130706433:{port}/feed")
        allowing = OutboundPolicy(allow_http=True, allow_networks=(LOOPBACK, ipaddress.ip_network("::1/128")))
        async with OutboundClient(allowing) as client:
            assert (await client.get(f"http://localhost:{port}/feed")).status_code == 200
    assert received == ["feed"]


async def test_redirects_are_not_followed_and_each_hop_is_checked() -> None:
    policy = OutboundPolicy(allow_http=True, allow_networks=(LOOPBACK,))
    async with receiver() as port, OutboundClient(policy) as client:
        resp = await client.get(f"http://127.0.0.1:{port}/redirect")
        assert resp.status_code == 302  # not followed
        with pytest.raises(OutboundBlocked):  # and where a caller follows, the hop is checked
            await client.get(f"http://127.0.0.1:{port}/redirect", follow_redirects=True)


async def test_proxies_from_the_environment_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy would connect on our behalf, past the connect-time check."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{free_port()}")
    policy = OutboundPolicy(allow_http=True, allow_networks=(LOOPBACK,))
    async with receiver() as port, OutboundClient(policy) as client:
        assert (await client.get(f"http://127.0.0.1:{port}/feed")).status_code == 200


async def test_a_webhook_failure_does_not_tell_the_targets_apart() -> None:
    """Refused, closed port, or an error status: the stored error text never carries the
    target's answer (the status code of an allowed receiver is its own field)."""
    policy = OutboundPolicy(allow_http=True, allow_networks=(LOOPBACK,))
    secret = "whsec_" + "A" * 44
    async with receiver() as port, OutboundClient(policy) as client:
        closed = await send_signed(client, f"http://127.0.0.1:{free_port()}/", secret, "msg_1", "{}", 5)
        assert closed == (None, "the receiver could not be reached")
        ok = await send_signed(client, f"http://127.0.0.1:{port}/hook", secret, "msg_2", "{}", 5)
        assert ok == (200, None)
    async with OutboundClient(OutboundPolicy(allow_http=True)) as strict:
        blocked = await send_signed(strict, f"http://127.0.0.1:{port}/hook", secret, "msg_3", "{}", 5)
    assert blocked[0] is None
    assert blocked[1] is not None
    assert blocked[1].startswith("blocked by the outbound URL policy")
    assert received == ["hook"]
