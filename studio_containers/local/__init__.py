"""`invoke local`: one image's KernelGateway app and a local JupyterLab reaching it, one at a time."""
