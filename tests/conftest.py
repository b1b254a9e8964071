"""Shared test settings. testcontainers must not pull Ryuk and must reach containers on 127.0.0.1."""
import os

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
