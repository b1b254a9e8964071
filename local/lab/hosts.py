"""Lets the lab answer a request whose Host is 10.0.2.2, the address at which an app container
under user-mode NAT (slirp4netns) reaches this machine's loopback, where the request then
arrives from 127.0.0.1. jupyter_server refuses any Host that is not loopback or a local host name
(its defence against DNS rebinding), and its local_hostnames setting applies to names, not
addresses. Rebinding gives a page only a name of its own, never 10.0.2.2, so the defence holds;
every other Host is still checked as before, and the token is required as ever. (The loopback
check on the peer adds little, as the lab listens on 127.0.0.1 only; it keeps the exception as
narrow as its reason.)
"""
import ipaddress

from jupyter_server.base.handlers import JupyterHandler

APPS_REACH_IT_AT = "10.0.2.2"       # runtime/user_nat.py's HOST_LOOPBACK


def allow_the_host_as_apps_reach_it() -> None:
    checked = JupyterHandler.check_host

    def check_host(self) -> bool:
        host = self.request.host.rsplit(":", 1)[0] if self.request.host else ""
        try:
            from_loopback = ipaddress.ip_address(self.request.remote_ip).is_loopback
        except ValueError:
            from_loopback = False
        return (host == APPS_REACH_IT_AT and from_loopback) or checked(self)

    JupyterHandler.check_host = check_host
