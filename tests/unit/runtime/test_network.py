"""Which network a KernelGateway app gets: the engine's facts and the setting decide."""
import pytest

from studio_containers.runtime.network import BRIDGE, HOST_NETWORK, choose, masquerades

DOCKER_NAT = """-P POSTROUTING ACCEPT
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
"""


@pytest.mark.parametrize("setting, local, nat, mode", [
    ("auto", True, True, BRIDGE),           # the engine NATs its bridge: as Studio, own network
    ("auto", True, False, HOST_NETWORK),    # dockerd --iptables=false: the host's network
    ("auto", True, None, BRIDGE),           # cannot tell (not root): the bridge, said so
    ("auto", False, None, BRIDGE),          # a remote engine's host network is not this machine's
    ("bridge", True, False, BRIDGE),
    ("host", False, True, HOST_NETWORK),
])
def test_the_mode_follows_the_engine_unless_set(setting, local, nat, mode):
    chosen = choose(setting, local, nat)
    assert chosen.mode == mode and chosen.why


def test_host_networking_says_why_and_that_the_gateway_stays_on_loopback():
    why = choose("auto", True, False).why
    assert "no NAT" in why and "127.0.0.1" in why


@pytest.mark.parametrize("rules, subnets, expected", [
    (DOCKER_NAT, ["172.17.0.0/16"], True),
    (DOCKER_NAT, ["10.9.0.0/16"], False),       # another bridge's subnet
    ("-P POSTROUTING ACCEPT\n", ["172.17.0.0/16"], False),
    ("-A POSTROUTING -s 172.17.0.0/16 -j ACCEPT\n", ["172.17.0.0/16"], False),
])
def test_nat_is_a_masquerade_rule_for_the_bridge_subnet(rules, subnets, expected):
    assert masquerades(rules, subnets) is expected


def test_not_knowing_keeps_the_bridge_and_says_how_to_change_it():
    assert "local.network: host" in choose("auto", True, None).why
