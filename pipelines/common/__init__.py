"""Mechanisms every source shares: database, HTTP, rate limiting, config, dlt runs.

dlt looks for ``.dlt/`` in the working directory; pointing it at the project root
here means ``python pipelines/velo.py`` reads the same config from any directory.
"""

import os

from pipelines.common.paths import PROJECT_ROOT

os.environ.setdefault("DLT_PROJECT_DIR", str(PROJECT_ROOT))
