"""The loopback address map of the local data plane."""

from __future__ import annotations

from localcloud.vpc import LoopbackAddresses


def test_published_ports_resolve_until_their_ip_is_withdrawn():
    addresses = LoopbackAddresses()
    addresses.publish("10.0.1.5", 80, "127.0.0.1", 40001)
    addresses.publish("10.0.1.5", 9090, "127.0.0.1", 40002)
    addresses.publish("10.0.2.7", 80, "127.0.0.1", 40003)
    assert addresses.resolve("10.0.1.5", 80) == ("127.0.0.1", 40001)
    assert addresses.resolve("10.0.1.5", 9090) == ("127.0.0.1", 40002)
    assert addresses.resolve("10.0.1.5", 81) is None
    addresses.withdraw("10.0.1.5")
    assert addresses.resolve("10.0.1.5", 80) is None
    assert addresses.resolve("10.0.1.5", 9090) is None
    assert addresses.resolve("10.0.2.7", 80) == ("127.0.0.1", 40003)
    addresses.clear()
    assert addresses.resolve("10.0.2.7", 80) is None
