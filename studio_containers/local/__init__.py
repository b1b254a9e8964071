"""`invoke local`: one image at a time, run through runtime/ as Studio runs it: a KernelGateway
app with a local JupyterLab reaching it, or a space's own app behind a token front."""
