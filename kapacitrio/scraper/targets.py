"""Scrape targets as Prometheus builds them for Kapacitor, and samples turned into Kapacitor points.

A target starts as the labels its discoverer gives (`__address__`, group labels, `__meta_*`). The
scrape job adds `job`, `__scheme__`, `__metrics_path__` and `__param_<name>` unless the discoverer
set them, so a file_sd group may change the scheme, path or a parameter of its targets. `instance`
defaults to `__address__`; then every label starting with `__` is dropped from what is stored.

A sample becomes a point as Kapacitor writes it: the sample name is the measurement, every label
but `job` is a tag (`__name__` included, so the name is also a tag), the one field is `value`, and
NaN samples are dropped. A target label wins over a sample label of the same name, which is kept
as `exported_<name>`. Histograms and summaries arrive as their flat samples (`_bucket` with `le`,
`quantile`, `_sum`, `_count`), one measurement each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from kapacitrio.models.point import Point

ADDRESS = "__address__"
SCHEME = "__scheme__"
METRICS_PATH = "__metrics_path__"
PARAM = "__param_"
NAME = "__name__"


@dataclass(frozen=True)
class Target:
    """One endpoint of one scrape job: where to fetch and the labels its samples get."""

    job: str
    url: str
    #: The labels stored with every sample (`instance`, group labels, ...; no `__*`, no `job`).
    labels: tuple[tuple[str, str], ...]

    @property
    def instance(self) -> str:
        return dict(self.labels).get("instance", "")


def build_target(
    job: str,
    discovered: dict[str, str],
    scheme: str,
    metrics_path: str,
    params: dict[str, list[str]],
) -> Target | None:
    """The target for one discovered label set, or None when it has no address."""
    labels = dict(discovered)
    labels.setdefault(SCHEME, scheme)
    labels.setdefault(METRICS_PATH, metrics_path)
    for key, values in params.items():
        if values:
            labels.setdefault(PARAM + key, values[0])
    address = labels.get(ADDRESS, "")
    if not address:
        return None
    labels.setdefault("instance", address)
    query = dict(params)
    for key, value in labels.items():
        if key.startswith(PARAM):
            name = key[len(PARAM) :]
            # A discovered parameter replaces the first value only, as Prometheus does.
            query[name] = [value, *params.get(name, [])[1:]]
    path = labels[METRICS_PATH] or "/"
    if not path.startswith("/"):
        path = "/" + path
    url = f"{labels[SCHEME]}://{address}{path}"
    if query:
        url += "?" + urlencode([(k, v) for k, vs in sorted(query.items()) for v in vs])
    kept = tuple(sorted((k, v) for k, v in labels.items() if not k.startswith("__") and k != "job"))
    return Target(job, url, kept)


def sample_point(
    target: Target,
    name: str,
    labels: dict[str, str],
    value: float,
    time_ns: int,
    db: str,
    rp: str,
) -> Point | None:
    """The point Kapacitor writes for one sample (None for NaN)."""
    value = float(value)
    if math.isnan(value):
        return None
    tags = {}
    own = dict(target.labels)
    for key, val in labels.items():
        if key in own or key == "job":
            tags["exported_" + key] = val
        else:
            tags[key] = val
    tags.update(own)
    tags[NAME] = name
    tags = {k: v for k, v in tags.items() if v != ""}
    return Point(name, tags, {"value": value}, time_ns, db, rp)
