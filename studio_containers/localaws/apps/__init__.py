"""The Studio apps API of the local AWS (server side): user profiles, spaces and apps
(models.py), their calls (responses.py, with the PATCHES that put them on moto's SageMaker
responses), the image an app runs (images.py), the launcher that starts the real app through
runtime/ as Studio would (launcher.py) and the gateway router through which a JupyterServer app
reaches its profile's KernelGateway apps (router.py)."""
