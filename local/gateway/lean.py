"""Skips two start-up costs of the gateway and the local JupyterLab that buy them nothing here.

Measured on the first `invoke local` → first cell path (the bench's first row):

- jsonschema, which every jupyter_server loads through jupyter_events, imports the optional
  packages behind its format checks when they are installed (jupyter_events asks for
  jsonschema[format-nongpl], so they always are). rfc3987_syntax builds an Earley parser from its
  grammar at import time: 1.3 s on every start, before the server listens; isoduration brings
  arrow (about 30 ms); the others a few ms each. They back only the "iri", "duration", "color",
  "uri-template", "json-pointer", "date-time" and "hostname" checks. The one validator that uses
  format checks is jupyter_events', and its schemas (its own and jupyter_server's events) check
  "uri" only, which rfc3986_validator keeps doing. Marking the others absent makes jsonschema
  skip their checks, as when the packages are not installed.
- JupyterLab asks `node yarn config` for the npm registry when its command module is imported
  (0.5 s), whenever Node.js is on PATH. The registry serves only extension installs, which the
  local lab does not do (its extension manager is read-only).

Loaded by launch.py before the gateway starts (skip_unused_format_checkers) and by the local
JupyterLab's start command (both); the user's image is never touched.
"""
import sys

# What jsonschema's format checker imports when present, and the formats each one backs.
UNUSED_FORMAT_MODULES = {
    "rfc3987_syntax": "iri, iri-reference",
    "isoduration": "duration",
    "webcolors": "color",
    "uri_template": "uri-template",
    "jsonpointer": "json-pointer, relative-json-pointer",
    "rfc3339_validator": "date-time",
    "fqdn": "hostname",
}


def skip_unused_format_checkers() -> None:
    # None in sys.modules makes `import rfc3987_syntax` raise ImportError (the import system's
    # documented behaviour), which jsonschema already handles for every optional one.
    for module in UNUSED_FORMAT_MODULES:
        sys.modules.setdefault(module, None)


def skip_yarn_config() -> None:
    from jupyterlab import commands

    if hasattr(commands, "_yarn_config"):   # a private helper: if a release drops it, only speed is lost
        commands._yarn_config = lambda logger: {"yarn config": {}, "npm config": {}}
