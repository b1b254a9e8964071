"""Which network an app gets: the engine's facts, the app's kind and the settings decide."""
import pytest

from studio_containers.errors import UserError
from studio_containers.runtime import network
from studio_containers.runtime.network import (
    BRIDGE,
    HOST_NETWORK,
    USER_NAT,
    VPC_ONLY,
    AppNetwork,
    app_network,
    choose,
    masquerades,
    placement,
)

DOCKER_NAT = """-P POSTROUTING ACCEPT
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
"""
AWS = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:41000/credentials",
       "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t", "AWS_ENDPOINT_URL": "http://127.0.0.1:5566",
       "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.mark.parametrize("setting, local, nat, space, user_nat, mode", [
    ("auto", True, True, False, True, USER_NAT),      # NAT'd bridge: no local AWS there
    ("auto", True, True, False, False, BRIDGE),       # ... unless user-mode NAT cannot run
    ("auto", True, False, False, True, USER_NAT),     # dockerd --iptables=false: NAT of its own
    ("auto", True, False, True, True, USER_NAT),      # a space too
    ("auto", True, False, False, False, HOST_NETWORK),  # no slirp4netns (not root): host's network
    ("auto", True, False, True, False, BRIDGE),       # ... which a space cannot take
    ("auto", True, None, False, False, BRIDGE),       # cannot tell (not root): the bridge, said so
    ("auto", False, None, False, False, BRIDGE),      # a remote engine's network is not this machine's
    ("bridge", True, False, False, True, BRIDGE),
    ("host", False, True, False, False, HOST_NETWORK),
    ("host", True, None, True, True, USER_NAT),       # a space is never on the host's network
    ("slirp4netns", True, True, True, True, USER_NAT),
])
def test_the_mode_follows_the_engine_unless_set(setting, local, nat, space, user_nat, mode):
    chosen = choose(setting, local, nat, space=space, can_user_nat=user_nat)
    assert chosen.mode == mode and chosen.why and chosen.outbound


def test_user_mode_nat_says_why_and_that_the_port_stays_on_loopback():
    why = choose("auto", True, False, can_user_nat=True).why
    assert "slirp4netns" in why and "local AWS" in why and "127.0.0.1" in why


def test_vpc_only_takes_user_mode_nat_with_outbound_access_off_whatever_the_engine():
    chosen = choose("bridge", True, True, can_user_nat=True, access=VPC_ONLY)
    assert (chosen.mode, chosen.outbound) == (USER_NAT, False) and "VpcOnly" in chosen.why


@pytest.mark.parametrize("setting, access, field", [
    ("auto", VPC_ONLY, "local.network_access: VpcOnly"),
    ("slirp4netns", "PublicInternetOnly", "local.network: slirp4netns"),
])
def test_asking_for_what_cannot_run_here_names_the_setting(setting, access, field):
    with pytest.raises(UserError, match=field):
        choose(setting, True, False, can_user_nat=False, access=access)


def test_under_user_mode_nat_the_app_reaches_the_endpoint_at_studios_address():
    options, env, nat = placement(AppNetwork(USER_NAT, "x"), "c", 8888, 40000, AWS)
    assert options["network_mode"] == "none" and "ports" not in options
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "http://169.254.170.2/credentials"
    assert env["AWS_ENDPOINT_URL"] == "http://10.0.2.2:5566"
    assert (nat.guest_port, nat.host_port, nat.credentials_port, nat.outbound) == \
        (8888, 40000, 41000, True)


def test_on_the_bridge_the_app_gets_no_aws_and_its_port_on_loopback():
    options, env, nat = placement(AppNetwork(BRIDGE, "x"), "c", 8888, 40000, AWS)
    assert options == {"ports": {"8888/tcp": ("127.0.0.1", 40000)}} and env == {} and nat is None


def test_on_the_hosts_network_the_app_gets_the_endpoint_as_it_is():
    options, env, nat = placement(AppNetwork(HOST_NETWORK, "x"), "c", 8888, 40000, AWS)
    assert options == {"network_mode": "host"} and env == AWS and nat is None


@pytest.mark.parametrize("rules, subnets, expected", [
    (DOCKER_NAT, ["172.17.0.0/16"], True),
    (DOCKER_NAT, ["10.9.0.0/16"], False),       # another bridge's subnet
    ("-P POSTROUTING ACCEPT\n", ["172.17.0.0/16"], False),
    ("-A POSTROUTING -s 172.17.0.0/16 -j ACCEPT\n", ["172.17.0.0/16"], False),
])
def test_nat_is_a_masquerade_rule_for_the_bridge_subnet(rules, subnets, expected):
    assert masquerades(rules, subnets) is expected


def test_not_knowing_keeps_the_bridge_and_says_what_would_change_it():
    assert "root" in choose("auto", True, None).why


@pytest.fixture
def engine(monkeypatch):
    """The engine's facts as a test sets them; records whether slirp4netns was asked for."""
    facts = {"local": True, "nat": False, "user_nat": True, "asked": []}
    monkeypatch.setattr(network, "engine_is_local", lambda client: facts["local"])
    monkeypatch.setattr(network, "bridge_has_nat", lambda client: facts["nat"])
    monkeypatch.setattr(network, "can_user_nat",
                        lambda: facts["asked"].append(True) or facts["user_nat"])
    return facts


def test_user_mode_nat_is_taken_over_the_engines_nat_for_the_local_aws(engine):
    engine["nat"] = True
    chosen = app_network(None, "auto")
    assert chosen.mode == USER_NAT and "local AWS" in chosen.why


def test_slirp4netns_is_not_looked_for_when_the_bridge_is_asked_for(engine):
    assert app_network(None, "bridge").mode == BRIDGE and engine["asked"] == []


def test_a_remote_engine_never_gets_user_mode_nat(engine):
    engine["local"] = False
    assert app_network(None, "auto", space=True).mode == BRIDGE
    with pytest.raises(UserError, match="AppNetworkAccessType of domain d-1: VpcOnly"):
        app_network(None, "auto", access=VPC_ONLY, access_from="AppNetworkAccessType of domain d-1")


def test_without_slirp4netns_a_gateway_takes_the_hosts_network_and_a_space_the_bridge(engine):
    engine["user_nat"] = False
    assert app_network(None, "auto").mode == HOST_NETWORK
    assert app_network(None, "auto", space=True).mode == BRIDGE


def test_vpc_only_ignores_the_bridges_nat(engine):
    engine["nat"] = True
    chosen = app_network(None, "auto", access=VPC_ONLY)
    assert (chosen.mode, chosen.outbound) == (USER_NAT, False)
