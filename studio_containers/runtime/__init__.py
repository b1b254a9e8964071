"""A KernelGateway app as Studio runs it: our gateway runtime mounted into the user's image.

Both the validation (which starts each kernel) and `invoke local` run images through here.
"""
from .. import PROJECT_ROOT

# The gateway runtime's sources (Dockerfile, bundle.py, launch.py) and the start-up helpers
# (lean.py, nodelay.py) the local JupyterLab shares with it.
RUNTIME_DIR = PROJECT_ROOT / "local" / "gateway"
