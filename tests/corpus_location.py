"""Where the shared conformance corpus lives: `$KAPACITRIO_CONFORMANCE`, else `shared/conformance`
beside this repository (where CI and the developers' machines keep it)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = Path(
    os.environ.get("KAPACITRIO_CONFORMANCE") or REPO.parent / "shared" / "conformance"
)
