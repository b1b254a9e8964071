"""The local AWS: moto in server mode, extended with the Studio image API, plus a real registry.

By concern: server/ is the server process (started by control.py as
`python -m studio_containers.localaws.server`) and what all its services share: the WSGI app,
SigV4, the state file, the error answers, the one install of every patch of moto, the walk over
botocore's request model. sagemaker/ is the Studio image API (models, responses, validation,
paging, fixes to moto's backend); ecr/ is ECR over a real registry (ecr/local.py in the server,
ecr/registry.py on the host). The apps_*.py modules are the Studio apps API (server side);
control.py, daemon.py and credentials.py are the host side that tasks use. Apps are started
through runtime/ (runtime/start.py), the path `invoke local` takes too.
"""
