"""The Studio image API the local AWS adds to moto's SageMaker: models.py (Images, ImageVersions,
AppImageConfigs, domain updates), responses.py (the actions), validation.py (AWS's constraints
from botocore's model), paging.py (listings), backend.py (fixes to moto's own SageMaker backend).
Server side: imported in the server process only (and by tests)."""
