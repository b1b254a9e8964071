"""The one layer that runs apps as Studio does: the app containers (container.py, extended by
gateway.py for a KernelGateway app with our gateway runtime mounted, and space.py for a space
running its own app), their network (network.py, user_nat.py) and AWS credentials
(credentials_endpoint.py, app_credentials.py), the local JupyterLab (lab.py) and the token front
(front.py); start.py puts them together.

The validation (which starts each kernel and each space), `invoke local` (local/) and the local
AWS's CreateApp (localaws/apps/launcher.py) all run apps through here, and nothing here imports
them back (tests/unit/test_layers.py).
"""
from .. import PROJECT_ROOT

# The gateway runtime's sources (Dockerfile, bundle.py, launch.py) and the start-up helpers
# (lean.py, nodelay.py) the local JupyterLab shares with it.
RUNTIME_DIR = PROJECT_ROOT / "local" / "gateway"
