#!/bin/bash
# A Studio lifecycle script: Studio runs it as the app's user each time a JupyterLab space
# starts, before the app is ready. It installs a package into the image's Python environment
# (which belongs to that user), so every kernel of the space can import it. Output goes to the
# app's lifecycle log (CloudWatch in Studio; `invoke local` prints its path).
set -euo pipefail
# --no-cache-dir: the cache would land in the home, the user's volume in Studio.
python3 -m pip install --quiet --no-cache-dir --disable-pip-version-check tabulate==0.9.0
echo "lifecycle: tabulate installed for $(id -un) in $(python3 -c 'import sys; print(sys.prefix)')"
