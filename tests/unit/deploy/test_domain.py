"""Attaching to a domain: other teams' images stay, and the domain is written only on a change."""
import pytest
from botocore.exceptions import ClientError

from studio_containers.deploy import domain
from studio_containers.errors import UserError


class FakeSageMaker:
    def __init__(self, images):
        self.images = images
        self.updates = []

    def describe_domain(self, DomainId):
        return {"DefaultUserSettings": {"ExecutionRole": "r", "KernelGatewayAppSettings": {
            "CustomImages": list(self.images)}}}

    def update_domain(self, DomainId, DefaultUserSettings):
        self.images = DefaultUserSettings["KernelGatewayAppSettings"]["CustomImages"]
        self.updates.append(DefaultUserSettings)


def test_attach_keeps_other_teams_images_and_writes_only_on_change():
    theirs = {"ImageName": "theirs", "AppImageConfigName": "theirs"}
    sm = FakeSageMaker([theirs, {"ImageName": "ours", "AppImageConfigName": "ours",
                                 "ImageVersionNumber": 1}])
    ours = {"ours": {"AppImageConfigName": "ours", "ImageVersionNumber": 2}}
    assert domain.attach(sm, "d-1", ours, {"ours", "gone"})
    assert sm.images == [theirs, {"ImageName": "ours", "AppImageConfigName": "ours",
                                  "ImageVersionNumber": 2}]
    assert not domain.attach(sm, "d-1", ours, {"ours"})
    assert len(sm.updates) == 1
    assert domain.attach(sm, "d-1", {}, {"ours"})
    assert sm.images == [theirs]


class FakeDomain:
    """A domain whose UpdateDomain merges settings as AWS does: a given list replaces the old one."""

    def __init__(self, settings: dict):
        self.settings, self.updates = settings, []

    def describe_domain(self, DomainId):
        return {"DefaultUserSettings": {k: dict(v) for k, v in self.settings.items()}}

    def update_domain(self, DomainId, DefaultUserSettings):
        self.updates.append(DefaultUserSettings)
        for key, value in DefaultUserSettings.items():
            self.settings.setdefault(key, {}).update(value)


def test_each_image_goes_in_its_apps_list_and_only_changed_lists_are_written():
    theirs_lab = {"ImageName": "their-lab", "AppImageConfigName": "their-lab"}
    sm = FakeDomain({"KernelGatewayAppSettings": {"CustomImages": []},
                     "JupyterLabAppSettings": {"CustomImages": [theirs_lab]}})
    ours = {"kernels": {"AppType": "KernelGateway", "AppImageConfigName": "kernels", "ImageVersionNumber": 1},
            "lab": {"AppType": "JupyterLab", "AppImageConfigName": "lab", "ImageVersionNumber": 3}}
    assert domain.attach(sm, "d-1", ours, {"kernels", "lab"})
    settings = sm.describe_domain("d-1")["DefaultUserSettings"]
    assert settings["KernelGatewayAppSettings"]["CustomImages"] == [
        {"ImageName": "kernels", "AppImageConfigName": "kernels", "ImageVersionNumber": 1}]
    assert settings["JupyterLabAppSettings"]["CustomImages"] == [
        theirs_lab, {"ImageName": "lab", "AppImageConfigName": "lab", "ImageVersionNumber": 3}]
    assert "CodeEditorAppSettings" not in sm.updates[0]      # nothing of ours there: not written
    assert domain.offered(sm.describe_domain("d-1")) == {"kernels": 1, "their-lab": None, "lab": 3}
    ours["lab"]["ImageVersionNumber"] = 4
    assert domain.attach(sm, "d-1", ours, {"kernels", "lab"})
    assert list(sm.updates[1]) == ["JupyterLabAppSettings"]   # only the list that changed
    assert domain.attach(sm, "d-1", {}, {"kernels", "lab"})
    assert domain.offered(sm.describe_domain("d-1")) == {"their-lab": None}


class RacingDomain(FakeDomain):
    """Another run, holding no lock, read the domain before our write and writes after it: its
    list lacks our image."""

    def __init__(self, settings: dict, stale_write: dict):
        super().__init__(settings)
        self.stale_write = stale_write

    def update_domain(self, DomainId, DefaultUserSettings):
        super().update_domain(DomainId, DefaultUserSettings)
        if self.stale_write:
            write, self.stale_write = self.stale_write, None
            super().update_domain(DomainId, write)


def test_a_write_that_dropped_ours_is_merged_again_over_it():
    theirs = {"ImageName": "theirs", "AppImageConfigName": "theirs"}
    sm = RacingDomain({"KernelGatewayAppSettings": {"CustomImages": []}},
                      {"KernelGatewayAppSettings": {"CustomImages": [theirs]}})
    ours = {"ours": {"AppImageConfigName": "ours", "ImageVersionNumber": 1}}
    assert domain.attach(sm, "d-1", ours, {"ours"})
    assert domain.offered(sm.describe_domain("d-1")) == {"theirs": None, "ours": 1}
    assert len(sm.updates) == 3          # ours, theirs (stale), ours merged over theirs


class EndlessRace(FakeDomain):
    def update_domain(self, DomainId, DefaultUserSettings):
        self.updates.append(DefaultUserSettings)      # always overwritten at once by someone


def test_a_domain_that_keeps_changing_stops_with_what_to_do(monkeypatch):
    monkeypatch.setattr(domain.time, "sleep", lambda s: None)
    sm = EndlessRace({"KernelGatewayAppSettings": {"CustomImages": []}})
    ours = {"ours": {"AppImageConfigName": "ours", "ImageVersionNumber": 1}}
    with pytest.raises(UserError, match="changed under this run 5 times.*deploy.backend.dynamodb_table"):
        domain.attach(sm, "d-1", ours, {"ours"})


class BusyDomain(FakeDomain):
    def update_domain(self, DomainId, DefaultUserSettings):
        self.updates.append(DefaultUserSettings)
        raise ClientError({"Error": {"Code": "ResourceInUse", "Message": "Domain is Updating"}},
                          "UpdateDomain")


def test_a_domain_still_applying_an_update_is_retried_then_said_as_busy(monkeypatch):
    monkeypatch.setattr(domain.time, "sleep", lambda s: None)
    sm = BusyDomain({"KernelGatewayAppSettings": {"CustomImages": []}})
    ours = {"ours": {"AppImageConfigName": "ours", "ImageVersionNumber": 1}}
    with pytest.raises(UserError, match="still busy applying an earlier update after 5 tries"):
        domain.attach(sm, "d-1", ours, {"ours"})
    assert len(sm.updates) == 5
