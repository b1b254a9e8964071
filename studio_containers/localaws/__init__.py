"""The local AWS: moto in server mode, extended with the Studio image API, plus a real registry.

server.py runs in its own process (started by control.py); everything it imports from here is
server-side. control.py, credentials.py and registry.py are the host side that tasks use.
"""
