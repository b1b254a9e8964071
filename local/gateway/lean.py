"""Skips two start-up costs of the gateway and the local JupyterLab that buy them nothing here.

Measured on the first `invoke local` → first cell path (the bench's first row):

- jsonschema, which every jupyter_server loads through jupyter_events, imports the optional
  rfc3987_syntax package when it is installed (jupyter_events asks for jsonschema[format-nongpl],
  so it always is). That module builds an Earley parser from its grammar at import time: 1.3 s on
  every start, before the server listens. It only backs jsonschema's "iri" and "iri-reference"
  format checks, which no Jupyter schema uses ("uri" is checked by rfc3986_validator). Marking the
  module absent makes jsonschema skip those two checks, as when the package is not installed.
- JupyterLab asks `node yarn config` for the npm registry when its command module is imported
  (0.5 s), whenever Node.js is on PATH. The registry serves only extension installs, which the
  local lab does not do (its extension manager is read-only).

Loaded by launch.py before the gateway starts (skip_iri_grammar) and by the local JupyterLab's
start command (both); the user's image is never touched.
"""
import sys

IRI_GRAMMAR_MODULE = "rfc3987_syntax"


def skip_iri_grammar() -> None:
    # None in sys.modules makes `import rfc3987_syntax` raise ImportError (the import system's
    # documented behaviour), which jsonschema already handles.
    sys.modules.setdefault(IRI_GRAMMAR_MODULE, None)


def skip_yarn_config() -> None:
    from jupyterlab import commands

    if hasattr(commands, "_yarn_config"):   # a private helper: if a release drops it, only speed is lost
        commands._yarn_config = lambda logger: {"yarn config": {}, "npm config": {}}
