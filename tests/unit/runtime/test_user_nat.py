"""The rules a user-mode NAT puts in an app container's own namespace, its socket's folder and
name, and the processes it keeps."""
import os
import subprocess

import pytest

from studio_containers.errors import UserError
from studio_containers.runtime import user_nat
from studio_containers.wait import wait_until


@pytest.fixture(autouse=True)
def sockets(tmp_path, monkeypatch):
    folder = tmp_path / "nat"
    folder.mkdir(mode=0o700)
    monkeypatch.setattr(user_nat, "socket_dir", lambda create=True: folder)
    return folder


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


def test_the_slirp4netns_processes_are_told_by_their_arguments(monkeypatch):
    monkeypatch.setattr(user_nat.processes, "command_lines", lambda: {
        10: ["/usr/bin/slirp4netns", "--configure", "--mtu=65520", "--enable-sandbox",
             "--ready-fd=5", "--api-socket=/run/x/a.sock", "4242", "tap0"],
        11: ["slirp4netns", "--configure", "4243", "tap0"],           # not ours: no API socket
        12: ["python3", "--api-socket=/run/x/b.sock", "1", "tap0"],   # not slirp4netns
        13: ["slirp4netns", "--api-socket=/run/x/c.sock", "tap0"]})   # no target pid
    assert user_nat._running() == [(10, "/run/x/a.sock", "4242")]


def test_a_target_that_is_no_running_process_is_gone():
    ended = subprocess.Popen(["true"])
    ended.wait()
    assert not user_nat._gone(os.getpid()) and not user_nat._gone(str(os.getpid()))
    assert user_nat._gone(ended.pid) and user_nat._gone("not-a-pid")


def test_another_slirp4netns_is_stopped_only_while_it_serves_the_socket(tmp_path):
    """A pid found by an earlier scan is signalled only if it still is that socket's process."""
    import sys
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                                "--api-socket=/run/x/other.sock"])
    try:
        # Just after its exec, a process's command line reads empty for a moment.
        wait_until(lambda: user_nat.processes.command_lines().get(sleeper.pid), timeout=10,
                   interval=0.01, what="the sleeper's command line")
        user_nat._stop(sleeper.pid, "/run/x/this.sock")
        assert sleeper.poll() is None                   # another socket's: left alone
        user_nat._stop(sleeper.pid, "/run/x/other.sock")
        assert sleeper.wait(5) in (-15, 0)             # 0: _stop reaped it, a child of ours
    finally:
        sleeper.kill()
        sleeper.wait()


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


@pytest.fixture
def private_folder(tmp_path, monkeypatch):
    """socket_dir's own checks, in a temporary folder, as a user of another uid than root."""
    monkeypatch.undo()      # the real socket_dir
    monkeypatch.setattr(user_nat.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(user_nat.os, "access", lambda path, mode: False)     # not /run
    return tmp_path / f"studio-containers-nat-{os.geteuid()}"


def test_the_socket_folder_is_made_private(private_folder):
    assert user_nat.socket_dir() == private_folder
    assert private_folder.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("made_by_another", ["symlink", "open to others"])
def test_a_socket_folder_someone_else_could_have_made_is_refused(private_folder, tmp_path,
                                                                  made_by_another):
    if made_by_another == "symlink":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        private_folder.symlink_to(tmp_path / "elsewhere")
    else:
        private_folder.mkdir()
        private_folder.chmod(0o755)
    with pytest.raises(UserError, match="not a private folder of this user"):
        user_nat.socket_dir()


def test_without_the_folder_nothing_is_made_to_look_for_leftovers(private_folder):
    assert user_nat.socket_dir(create=False) is None and not private_folder.exists()


def test_rules_never_land_in_this_machines_own_namespace():
    # This process is in no container: its pid must be refused, whatever the id.
    with pytest.raises(UserError, match="not to be found here"):
        user_nat._check_is_the_container(os.getpid(), "0" * 64)


def test_a_slirp4netns_that_ended_on_its_own_is_reaped(monkeypatch):
    monkeypatch.setattr(user_nat.os, "geteuid", lambda: 1000)   # nothing else to look for
    ended = subprocess.Popen(["true"])
    ended.wait()
    user_nat._children["/run/x/ended.sock"] = ended
    user_nat.reap()
    assert "/run/x/ended.sock" not in user_nat._children
