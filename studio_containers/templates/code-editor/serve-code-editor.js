// Serves code-server the way Studio reaches a Code Editor space: on 0.0.0.0:8888, under the base
// path /CodeEditor/default (matched case-insensitively: Studio's docs spell it /CodeEditor/default,
// aws/sagemaker-distribution serves /codeeditor/default from SAGEMAKER_APP_TYPE_LOWERCASE).
//
// code-server has no base-path option: it serves relative URLs and expects a proxy to strip the
// prefix. This is that proxy, for plain requests and websockets. code-server itself listens on a
// unix socket, so no port inside the space is taken from the user. It runs as this process's
// child: when it exits, so does this process (with its code), which is what Studio watches.
"use strict";
const http = require("http");
const net = require("net");
const os = require("os");
const path = require("path");
const { spawn } = require("child_process");

const PORT = 8888;
const PREFIX = /^\/codeeditor\/default(?=\/|\?|$)/i;
const SOCKET = path.join(os.tmpdir(), `code-server-${process.pid}.sock`);
const HOME = process.env.HOME || "/home/sagemaker-user";

const codeServer = spawn("code-server", [
  "--socket", SOCKET, "--auth", "none", "--disable-telemetry", "--disable-update-check",
  "--disable-getting-started-override", ...process.argv.slice(2), HOME,
], { stdio: "inherit" });
codeServer.on("exit", (code, signal) => {
  console.error(`serve-code-editor: code-server exited (${signal || code})`);
  process.exit(code === null ? 1 : code);
});
codeServer.on("error", (err) => {
  console.error(`serve-code-editor: cannot start code-server: ${err.message}`);
  process.exit(127);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => codeServer.kill(sig));
}

// The request's path below the base path, or null when it is not under it.
function inner(url) {
  const m = PREFIX.exec(url);
  if (!m) return null;
  const rest = url.slice(m[0].length);
  return rest.startsWith("/") ? rest : null;
}

function notHere(res, url) {
  const base = PREFIX.exec(url);
  if (base) {   // the base path without its slash: code-server's relative URLs need the slash
    const query = url.slice(base[0].length);
    res.writeHead(302, { Location: `${base[0]}/${query}` });
  } else {
    res.writeHead(404, { "Content-Type": "text/plain" });
  }
  res.end(base ? "" : `Code Editor is served under /CodeEditor/default/, not at ${url}\n`);
}

const server = http.createServer((req, res) => {
  const target = inner(req.url);
  if (target === null) return notHere(res, req.url);
  const prefix = PREFIX.exec(req.url)[0];
  const upstream = http.request({
    socketPath: SOCKET, method: req.method, path: target,
    headers: { ...req.headers, "x-forwarded-prefix": prefix },
  }, (up) => {
    const headers = { ...up.headers };
    // code-server redirects relatively; an absolute one is below its root, so below ours.
    if (typeof headers.location === "string" && headers.location.startsWith("/")) {
      headers.location = prefix + headers.location;
    }
    res.writeHead(up.statusCode, up.statusMessage, headers);
    up.pipe(res);
  });
  upstream.on("error", (err) => {
    if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
    res.end(`code-server is not answering yet: ${err.code || err.message}\n`);
  });
  req.pipe(upstream);
});

// Websockets: the handshake goes through with the path rewritten, then bytes flow both ways.
server.on("upgrade", (req, client, head) => {
  const target = inner(req.url);
  if (target === null) {
    client.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
    return;
  }
  const up = net.connect(SOCKET, () => {
    const lines = [`${req.method} ${target} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    up.write(lines.join("\r\n") + "\r\n\r\n");
    if (head && head.length) up.write(head);
    up.pipe(client);
    client.pipe(up);
  });
  up.setNoDelay(true);
  client.setNoDelay(true);
  up.on("error", () => client.destroy());
  client.on("error", () => up.destroy());
  up.on("close", () => client.destroy());
  client.on("close", () => up.destroy());
});

server.listen(PORT, "0.0.0.0", () => {
  console.error(`serve-code-editor: serving code-server at http://0.0.0.0:${PORT}/CodeEditor/default/`);
});
