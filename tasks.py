"""Tasks of studio-containers. `./inv --list` shows them; the logic lives in studio_containers/."""
from invoke import Collection

from studio_containers.tasks import aws, deploy, images, local, testing

ns = Collection()
for module in (images, local, deploy, testing):
    for t in module.ns.tasks.values():
        ns.add_task(t)
ns.add_collection(aws.ns)
