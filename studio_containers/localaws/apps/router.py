"""The gateway router: one Kernel Gateway API in front of all of a user's KernelGateway apps.

jupyter_server's gateway client reaches a single gateway URL, but a Studio Classic user has one
KernelGateway app per image. Studio's Jupyter server routes kernels to the right app; here a
JupyterServer app's lab is given `/<domain>/<profile>` on this router as its gateway, and the
router:
- lists the kernelspecs of every running KernelGateway app of that profile, each renamed
  `<kernel>__<app name>` (app names have no `_`, so the split is unambiguous) with the image in
  its display name;
- starts a kernel on the app its name points at, and sends every later request and websocket
  for that kernel to the same app (asking the apps when it does not know the kernel yet, after
  a restart);
- answers only with the profile's own token (derived from the server's secret, so a lab keeps
  working across a restart of the local AWS), on 127.0.0.1.
"""
import hashlib
import hmac
import json
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.web import Application, RequestHandler

from ...files import write_private
from ...ports import HOST, free_port
from ...runtime.front import WebSocketRelay, header_token
from ...tornado_thread import ServerThread

SEPARATOR = "__"
USER = r"/(?P<domain>[^/]+)/(?P<user>[^/]+)"
TIMEOUT = 120


class GatewayRouter(ServerThread):
    def __init__(self, launcher, saved_port: bool = True):
        """On the port it had before a restart (labs point at it), unless `saved_port` is False."""
        self.launcher = launcher
        self.kernels: dict[str, str] = {}      # kernel id → app ARN
        record = launcher.folder / "router.json"
        port = (saved_port and _saved_port(record)) or free_port()
        write_private(record, json.dumps({"port": port}))
        kwargs = {"router": self}
        app = Application([
            (USER + r"/api/kernelspecs", KernelSpecs, kwargs),
            (USER + r"/api/kernelspecs/(?P<name>[^/]+)", KernelSpec, kwargs),
            (USER + r"/kernelspecs/(?P<name>[^/]+)/(?P<rest>.*)", KernelSpecFile, kwargs),
            (USER + r"/api/kernels", Kernels, kwargs),
            (USER + r"/api/kernels/(?P<kernel>[^/]+)/channels", Channels, kwargs),
            (USER + r"/api/kernels/(?P<kernel>[^/]+)(?P<rest>/.*)?", Kernel, kwargs),
        ])
        super().__init__(app, port, "gateway-router")

    def user_url(self, domain: str, user: str) -> str:
        return f"http://{HOST}:{self.port}/{domain}/{user}"

    def user_token(self, domain: str, user: str) -> str:
        return hmac.new(self.launcher.secret, f"router:{domain}/{user}".encode(),
                        hashlib.sha256).hexdigest()

    def allows(self, handler: RequestHandler) -> bool:
        """The request carries the user's token, as the gateway client sends it."""
        domain, user = handler.path_kwargs["domain"], handler.path_kwargs["user"]
        given = header_token(handler)
        return given is not None and hmac.compare_digest(
            given.encode(), self.user_token(domain, user).encode())

    async def gateway_of(self, gateways: dict[str, tuple], kernel_id: str) -> tuple | None:
        """The gateway running a kernel: remembered, or else asked of each (after a restart)."""
        arn = self.kernels.get(kernel_id)
        for gateway in gateways.values():
            if gateway[0].arn == arn:
                return gateway
        for gateway in gateways.values():
            _, url, token = gateway
            request = HTTPRequest(f"{url}/api/kernels/{kernel_id}", request_timeout=TIMEOUT,
                                  headers={"Authorization": f"token {token}"})
            if (await AsyncHTTPClient().fetch(request, raise_error=False)).code == 200:
                self.kernels[kernel_id] = gateway[0].arn
                return gateway
        return None

    def gateways(self, domain: str, user: str) -> dict[str, tuple]:
        """App name → (app, gateway URL, token), for the profile's running KernelGateway apps."""
        return {app.name: (app, url, token)
                for app, url, token in self.launcher.kernel_gateways(domain, user)}


def _saved_port(record: Path) -> int | None:
    try:
        return int(json.loads(record.read_text())["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class _UserHandler(RequestHandler):
    def initialize(self, router: GatewayRouter):
        self.router = router

    def prepare(self):
        if not self.router.allows(self):
            self.send_error(403)
            return
        self.gateways = self.router.gateways(self.path_kwargs["domain"], self.path_kwargs["user"])

    def write_error(self, status_code: int, **kwargs):
        self.finish({"message": self._reason if status_code != 403 else "a token is required"})

    async def call(self, gateway: tuple, path: str, method: str = "GET", body: bytes | None = None):
        _, url, token = gateway
        request = HTTPRequest(f"{url}{path}", method=method, body=body, request_timeout=TIMEOUT,
                              headers={"Authorization": f"token {token}",
                                       "Content-Type": "application/json"},
                              allow_nonstandard_methods=True)
        return await AsyncHTTPClient().fetch(request, raise_error=False)

    def relay(self, response, body: bytes | None = None):
        self.set_status(response.code if response.code != 599 else 502)
        if response.headers.get("Content-Type"):
            self.set_header("Content-Type", response.headers["Content-Type"])
        payload = response.body if body is None else body
        if payload and response.code not in (204, 304):
            self.write(payload)

    def split(self, public: str) -> tuple[str, tuple] | None:
        kernel, _, app_name = public.rpartition(SEPARATOR)
        gateway = self.gateways.get(app_name)
        return (kernel, gateway) if kernel and gateway else None

    async def gateway_of(self, kernel_id: str) -> tuple | None:
        return await self.router.gateway_of(self.gateways, kernel_id)


def _renamed_kernel(model: dict, app_name: str) -> dict:
    return {**model, "name": f"{model.get('name')}{SEPARATOR}{app_name}"}


def _renamed_spec(spec: dict, app) -> dict:
    name, public = spec["name"], f"{spec['name']}{SEPARATOR}{app.name}"
    body = dict(spec.get("spec") or {})
    image = app.runtime.get("image_name", app.name)
    body["display_name"] = f"{body.get('display_name', name)} ({image} v{app.runtime.get('version', '?')})"
    resources = {k: v.replace(f"/kernelspecs/{name}/", f"/kernelspecs/{public}/")
                 for k, v in (spec.get("resources") or {}).items()}
    return {**spec, "name": public, "spec": body, "resources": resources}


class KernelSpecs(_UserHandler):
    async def get(self, domain, user):
        specs, default = {}, None
        for app_name, gateway in sorted(self.gateways.items()):
            response = await self.call(gateway, "/api/kernelspecs")
            if response.code != 200:
                continue        # an app that stopped answering offers nothing
            found = json.loads(response.body)
            for spec in (found.get("kernelspecs") or {}).values():
                renamed = _renamed_spec(spec, gateway[0])
                specs[renamed["name"]] = renamed
                default = default or renamed["name"]
        # jupyter_server refuses a null default: "" while no app offers a kernel yet.
        self.finish({"default": default or "", "kernelspecs": specs})


class KernelSpec(_UserHandler):
    async def get(self, domain, user, name):
        found = self.split(name)
        if found is None:
            self.send_error(404, reason=f"no kernelspec {name}")
            return
        kernel, gateway = found
        response = await self.call(gateway, f"/api/kernelspecs/{kernel}")
        body = json.dumps(_renamed_spec(json.loads(response.body), gateway[0])).encode() \
            if response.code == 200 else None
        self.relay(response, body)


class KernelSpecFile(_UserHandler):
    async def get(self, domain, user, name, rest):
        found = self.split(name)
        if found is None:
            self.send_error(404, reason=f"no kernelspec {name}")
            return
        kernel, gateway = found
        self.relay(await self.call(gateway, f"/kernelspecs/{kernel}/{rest}"))


class Kernels(_UserHandler):
    async def get(self, domain, user):
        kernels = []
        for app_name, gateway in self.gateways.items():
            response = await self.call(gateway, "/api/kernels")
            if response.code == 200:
                for model in json.loads(response.body):
                    self.router.kernels[model["id"]] = gateway[0].arn
                    kernels.append(_renamed_kernel(model, app_name))
        self.finish(json.dumps(kernels))

    async def post(self, domain, user):
        request = json.loads(self.request.body or b"{}")
        found = self.split(request.get("name") or "")
        if found is None:
            self.send_error(400, reason=f"no kernelspec {request.get('name')!r} among this user's "
                                        "running KernelGateway apps")
            return
        kernel, gateway = found
        response = await self.call(gateway, "/api/kernels", "POST",
                                   json.dumps({**request, "name": kernel}).encode())
        body = None
        if response.code in (200, 201):
            model = json.loads(response.body)
            self.router.kernels[model["id"]] = gateway[0].arn
            body = json.dumps(_renamed_kernel(model, gateway[0].name)).encode()
        self.relay(response, body)


class Kernel(_UserHandler):
    async def _forward(self, domain, user, kernel, rest=None):
        gateway = await self.gateway_of(kernel)
        if gateway is None:
            self.send_error(404, reason=f"kernel {kernel} not found")
            return
        body = self.request.body if self.request.method in ("POST", "PATCH", "PUT") else None
        response = await self.call(gateway, f"/api/kernels/{kernel}{rest or ''}",
                                   self.request.method, body)
        renamed = None
        if response.code == 200 and not rest and self.request.method == "GET":
            renamed = json.dumps(_renamed_kernel(json.loads(response.body), gateway[0].name)).encode()
        if self.request.method == "DELETE" and response.code == 204:
            self.router.kernels.pop(kernel, None)
        self.relay(response, renamed)

    get = post = delete = patch = _forward


class Channels(WebSocketRelay):
    """A kernel's websocket, relayed to the app that runs it with that app's token."""

    def initialize(self, router: GatewayRouter):
        super().initialize(auth=None, upstream="")
        self.router = router

    def allowed(self) -> bool:
        return self.router.allows(self)

    async def get(self, *args, **kwargs):
        # Which app runs the kernel decides the upstream; asked before the relay connects,
        # and only for a caller with the token (the relay refuses the others).
        self.gateway = None
        if self.allowed():
            gateways = self.router.gateways(self.path_kwargs["domain"], self.path_kwargs["user"])
            self.gateway = await self.router.gateway_of(gateways, self.path_kwargs["kernel"])
        if self.gateway is None and self.allowed():
            self.set_status(404)
            self.finish(f"404: kernel {self.path_kwargs['kernel']} not found\n")
            return
        await super().get(*args, **kwargs)

    def upstream_request(self) -> HTTPRequest:
        _, url, token = self.gateway
        query = f"?{self.request.query}" if self.request.query else ""
        return HTTPRequest(f"{url.replace('http://', 'ws://')}/api/kernels/"
                           f"{self.path_kwargs['kernel']}/channels{query}",
                           headers={"Authorization": f"token {token}"}, request_timeout=TIMEOUT)
