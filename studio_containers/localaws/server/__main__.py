"""`python -m studio_containers.localaws.server`: the command line control.py starts, and finds a
running server by."""
import sys

from .app import main

sys.exit(main())
