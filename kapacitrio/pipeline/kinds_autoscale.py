"""The autoscale node kinds (k8s, swarm, ec2)."""

from __future__ import annotations

from collections.abc import Callable

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.kinds import NodeKind, register
from kapacitrio.pipeline.props import fld
from kapacitrio.pipeline.spec import STREAM, NodeSpec


def _autoscale_validate(name: str, tag: str) -> Callable[[NodeSpec], str | None]:
    def validate(n: NodeSpec) -> str | None:
        p = n.props
        if (p[name] != "" and p[tag] != "") or (p[name] == "" and p[tag] == ""):
            return f"must specify exactly one of {_cap(name)} or {_cap(tag)}"
        if n.kind == "k8sAutoscale" and p["kind"] not in (
            "deployments",
            "replicasets",
            "replicationcontrollers",
        ):
            return (
                "invalid Kind, must be 'deployments', 'replicasets' or "
                f"'replicationcontrollers', got {p['kind']}"
            )
        if p["min"] < 1:
            return f"min must be >= 1, got {p['min']}"
        if p["replicas"] is None:
            return "must provide a replicas lambda expression"
        return None

    return validate


def _cap(name: str) -> str:
    return name[:1].upper() + name[1:]


_AUTOSCALE = (
    fld("cluster", g.STRING),
    fld("currentField", g.STRING),
    fld("max", g.INT),
    fld("min", g.INT, 1),
    fld("replicas", g.LAMBDA),
    fld("increaseCooldown", g.DURATION),
    fld("decreaseCooldown", g.DURATION),
)
register(
    NodeKind(
        "k8sAutoscale",
        "K8sAutoscaleNode",
        "k8s_autoscale",
        provides=STREAM,
        props=(
            *_AUTOSCALE,
            fld("namespace", g.STRING),
            fld("kind", g.STRING, "deployments"),
            fld("resourceName", g.STRING),
            fld("resourceNameTag", g.STRING),
            fld("namespaceTag", g.STRING, "namespace"),
            fld("kindTag", g.STRING, "kind"),
            fld("resourceTag", g.STRING, "resource"),
        ),
        validate=_autoscale_validate("resourceName", "resourceNameTag"),
    )
)
register(
    NodeKind(
        "swarmAutoscale",
        "SwarmAutoscaleNode",
        "swarm_autoscale",
        provides=STREAM,
        props=(
            *_AUTOSCALE,
            fld("serviceName", g.STRING),
            fld("serviceNameTag", g.STRING),
            fld("outputServiceNameTag", g.STRING),
        ),
        validate=_autoscale_validate("serviceName", "serviceNameTag"),
    )
)
register(
    NodeKind(
        "ec2Autoscale",
        "Ec2AutoscaleNode",
        "ec2_autoscale",
        provides=STREAM,
        props=(
            *_AUTOSCALE,
            fld("groupName", g.STRING),
            fld("groupNameTag", g.STRING),
            fld("outputGroupNameTag", g.STRING),
        ),
        validate=_autoscale_validate("groupName", "groupNameTag"),
    )
)
