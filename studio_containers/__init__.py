"""studio-containers: build, try locally and deploy custom SageMaker Studio images."""
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
