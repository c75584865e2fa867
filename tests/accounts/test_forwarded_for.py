"""Behind a trusted proxy the client is the hop that proxy added (issue 10, item 9)."""
from __future__ import annotations

from pyramid import testing

from cgs_portal.accounts.throttle import client_address


def _request(header, **settings):
    config = testing.setUp(settings={"cgs.trust_forwarded_for": "true", **settings})
    request = testing.DummyRequest(headers={"X-Forwarded-For": header} if header else {})
    request.registry = config.registry
    request.client_addr = "10.0.0.1"
    return request


def teardown_function():
    testing.tearDown()


def test_the_rightmost_hop_is_the_client_of_one_proxy():
    # the client wrote the first entry itself; the proxy appended the address it saw
    assert client_address(_request("198.51.100.66, 203.0.113.5")) == "203.0.113.5"


def test_n_trusted_proxies_count_from_the_right():
    request = _request("198.51.100.66, 203.0.113.5, 10.0.0.7", **{"cgs.trusted_proxies": "2"})
    assert client_address(request) == "203.0.113.5"


def test_a_short_header_or_none_falls_back_safely():
    assert client_address(_request("203.0.113.5", **{"cgs.trusted_proxies": "2"})) == "203.0.113.5"
    assert client_address(_request("")) == "10.0.0.1"


def test_without_trust_the_header_is_ignored():
    request = _request("198.51.100.66", **{"cgs.trust_forwarded_for": "false"})
    assert client_address(request) == "10.0.0.1"
