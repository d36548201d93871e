"""The scratch directory of one benchmark run: its MongoDB, Redis, data directory and logs."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A fresh directory, removed after a run that finished (a run leaves ~300 MB of database
    behind) and kept after one that failed, so its logs can be read."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    except BaseException:
        print(f"the run failed; its logs and databases are kept in {work}", file=sys.stderr)
        raise
    shutil.rmtree(work, ignore_errors=True)
