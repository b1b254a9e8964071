"""ECR on the local AWS: local.py (moto's ECR in front of a real registry, in the server process)
and registry.py (that registry, Debian's docker-registry: installed and configured, host side)."""
