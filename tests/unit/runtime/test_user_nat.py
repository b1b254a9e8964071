"""The rules a user-mode NAT puts in an app container's own namespace, and its socket's name."""
from studio_containers.runtime import user_nat


def _att(credentials_port=41000, outbound=True):
    return user_nat.attachment("studio-containers-local-" + "x" * 200, 8888, 40000,
                               credentials_port, outbound)


def test_the_credentials_address_is_sent_to_the_endpoints_port_on_this_machine():
    [dnat] = user_nat.namespace_rules(_att())
    assert dnat[:4] == ["-t", "nat", "-A", "OUTPUT"]
    assert ["-d", "169.254.170.2/32"] == dnat[4:6] and "--dport" in dnat and "80" in dnat
    assert dnat[-2:] == ["--to-destination", "10.0.2.2:41000"]


def test_outbound_off_rejects_all_but_this_machine_at_once():
    rules = user_nat.namespace_rules(_att(credentials_port=None, outbound=False))
    assert rules == [["-A", "OUTPUT", "-o", "tap0", "!", "-d", "10.0.2.0/24", "-j", "REJECT",
                      "--reject-with", "icmp-net-unreachable"]]


def test_no_rules_when_there_is_nothing_to_send_or_keep_in():
    assert user_nat.namespace_rules(_att(credentials_port=None)) == []


def test_the_socket_path_fits_a_unix_socket_whatever_the_container_name():
    att = _att()
    assert len(str(att.socket).encode()) < 108 and att.socket.suffix == ".sock"
    assert att.socket != user_nat.attachment("another", 8888, 40000, None, True).socket


def test_the_container_is_labelled_with_its_socket_and_port():
    options = user_nat.run_kwargs(_att())
    assert options["network_mode"] == "none" and options["dns"] == ["10.0.2.3"]
    assert options["labels"] == {user_nat.SOCKET_LABEL: str(_att().socket),
                                 user_nat.PORT_LABEL: "40000"}
