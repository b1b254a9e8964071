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


def test_outbound_off_lets_out_only_dns_and_the_local_aws_and_rejects_the_rest_at_once():
    att = user_nat.attachment("c", 8888, 40000, 41000, False, aws_ports=(5566, 5566))
    rules = [" ".join(rule) for rule in user_nat.namespace_rules(att)]
    out = "-A OUTPUT -o tap0"
    assert rules == [
        "-t nat -A OUTPUT -d 169.254.170.2/32 -p tcp --dport 80 -j DNAT --to-destination 10.0.2.2:41000",
        f"{out} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",   # answers to the front
        f"{out} -d 10.0.2.3 -p udp --dport 53 -j ACCEPT",
        f"{out} -d 10.0.2.3 -p tcp --dport 53 -j ACCEPT",
        f"{out} -d 10.0.2.2 -p tcp --dport 5566 -j ACCEPT",
        f"{out} -d 10.0.2.2 -p tcp --dport 41000 -j ACCEPT",
        f"{out} -j REJECT --reject-with icmp-net-unreachable"]


def test_the_slirp4netns_processes_are_told_by_their_arguments(tmp_path):
    def process(pid, *args):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes("\0".join(args).encode() + b"\0")
    process(10, "/usr/bin/slirp4netns", "--configure", "--mtu=65520", "--enable-sandbox",
            "--ready-fd=5", "--api-socket=/run/x/a.sock", "4242", "tap0")
    process(11, "slirp4netns", "--configure", "4243", "tap0")          # not ours: no API socket
    process(12, "python3", "--api-socket=/run/x/b.sock", "1", "tap0")  # not slirp4netns
    (tmp_path / "self").mkdir()
    assert user_nat._running(tmp_path) == [(10, "/run/x/a.sock", "4242")]


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
