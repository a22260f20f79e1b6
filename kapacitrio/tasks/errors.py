"""Errors of the task and template service: the shared service errors."""

from kapacitrio.serviceerrors import Internal, Invalid, NotFound, ServiceError

__all__ = ["Internal", "Invalid", "NotFound", "ServiceError"]
