"""Engine discovery: the one boundary (`connect`) is patched; the decisions are ours."""
from unittest import mock

import pytest

from studio_containers.build import engine
from studio_containers.errors import UserError


def test_an_answering_engine_is_used_as_is(tmp_path):
    client = object()
    with mock.patch.object(engine, "connect", return_value=client), \
            mock.patch.object(engine, "start_dockerd") as start:
        assert engine.ensure_engine(tmp_path) is client
    start.assert_not_called()


def test_no_engine_and_no_way_to_start_one_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    with mock.patch.object(engine, "connect", return_value=None), \
            mock.patch.object(engine.host, "can_install_here", return_value=False), \
            mock.patch.object(engine, "start_dockerd") as start:
        with pytest.raises(UserError, match="No Docker engine answers .* DOCKER_HOST"):
            engine.ensure_engine(tmp_path)
    start.assert_not_called()


def test_a_dead_docker_host_is_not_replaced_by_a_local_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    with mock.patch.object(engine, "connect", return_value=None), \
            mock.patch.object(engine, "start_dockerd") as start:
        with pytest.raises(UserError, match=r"DOCKER_HOST=tcp://127.0.0.1:1: no Docker engine answers"):
            engine.ensure_engine(tmp_path)
    start.assert_not_called()


def test_debian_root_installs_and_starts_dockerd(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    client = object()
    with mock.patch.object(engine, "connect", side_effect=[None, client]), \
            mock.patch.object(engine.host, "can_install_here", return_value=True), \
            mock.patch.object(engine.shutil, "which", return_value=None), \
            mock.patch.object(engine.host, "apt_install") as apt, \
            mock.patch.object(engine, "start_dockerd") as start:
        assert engine.ensure_engine(tmp_path) is client
    apt.assert_called_once_with(["docker.io"])
    start.assert_called_once_with(tmp_path)
