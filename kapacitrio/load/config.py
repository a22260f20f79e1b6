"""`[load]`: where the load directory is and whether it is read."""

from __future__ import annotations

import os
from dataclasses import dataclass

from kapacitrio.config import section


@section("load")
@dataclass
class LoadConfig:
    """`[load]`: `enabled` and `dir` (absolute; holds `tasks/`, `templates/`, `handlers/`)."""

    enabled: bool = False
    dir: str = "./load"

    def validate(self) -> None:
        if self.enabled and not os.path.isabs(self.dir):
            raise ValueError("dir must be an absolute path")
