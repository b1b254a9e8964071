"""Attaching to a domain: other teams' images stay, and the domain is written only on a change."""
from studio_containers.deploy import domain


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
