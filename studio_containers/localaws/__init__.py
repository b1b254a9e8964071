"""The local AWS: moto in server mode, extended with the Studio image API, plus a real registry.

server.py runs in its own process (started by control.py); everything it imports from here is
server-side: responses.py (the Studio actions) over models.py (their state) and paging.py,
moto_patches.py (fixes to moto itself), validation.py, sigv4.py, persistence.py, ecr_local.py.
control.py, daemon.py, credentials.py and registry.py are the host side that tasks use.
"""
