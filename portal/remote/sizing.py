"""Estimate the size of a gridded request and fit it under the configured cap.

A request's size is known before any data moves: the product of the selected
dimension lengths times the item size. Over ``PORTAL_OPENDAP_MAX_MB`` the portal
either refuses (:class:`SelectionTooLarge`, whose message gives the estimate and
suggests a smaller selection) or strides down: with no time chosen it keeps the
latest time step, then it takes every n-th point along latitude and longitude, and
only if still too large, every n-th time step. Pure functions, shared by the
OPeNDAP and ERDDAP griddap sources.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from portal.errors import UnsupportedQuicklook

_HINT = "select a shorter time range, a smaller area or a single depth"


class SelectionTooLarge(UnsupportedQuicklook):
    """The selection exceeds the size cap (``estimate_bytes`` > ``cap_bytes``)."""

    def __init__(self, message: str, *, estimate_bytes: int, cap_bytes: int,
                 dataset: str | None = None, hint: str | None = _HINT):
        super().__init__(message, dataset=dataset, hint=hint)
        self.estimate_bytes = estimate_bytes
        self.cap_bytes = cap_bytes


def human_bytes(n: float) -> str:
    """``1.2 GB``, ``340 MB``, ``12 kB``."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


@dataclass(frozen=True)
class SizePlan:
    """What to request: ``strides`` per dimension, and whether to keep the last time only."""

    estimate_bytes: int
    final_bytes: int
    strides: dict[str, int] = field(default_factory=dict)
    last_time_only: bool = False

    @property
    def reduced(self) -> bool:
        return bool(self.strides) or self.last_time_only

    def describe(self) -> str:
        parts = [f"{dim} every {s}" for dim, s in self.strides.items()]
        if self.last_time_only:
            parts.insert(0, "latest time only")
        return ", ".join(parts)


def _nbytes(sizes: Mapping[str, int], itemsize: int) -> int:
    return int(math.prod(max(int(n), 0) for n in sizes.values()) * itemsize)


def _stride(sizes: dict[str, int], dims: Sequence[str], itemsize: int, cap: int) -> dict[str, int]:
    """Equal strides along ``dims`` so the request fits in ``cap`` bytes."""
    dims = [d for d in dims if sizes.get(d, 1) > 1]
    strides: dict[str, int] = {}
    if not dims:
        return strides
    ratio = _nbytes(sizes, itemsize) / cap
    step = max(2, math.ceil(ratio ** (1 / len(dims))))
    while True:
        trial = dict(sizes)
        for dim in dims:
            trial[dim] = math.ceil(sizes[dim] / step)
        if _nbytes(trial, itemsize) <= cap or all(trial[d] == 1 for d in dims):
            break
        step += 1
    for dim in dims:
        strides[dim] = step
        sizes[dim] = math.ceil(sizes[dim] / step)
    return strides


def plan_request(sizes: Mapping[str, int], itemsize: int, cap_bytes: int, *,
                 time_dim: str | None = None, space_dims: Sequence[str] = (),
                 time_selected: bool = False, policy: str = "stride",
                 what: str = "the selection", dataset: str | None = None) -> SizePlan:
    """Plan a request of ``sizes`` (dimension lengths) under ``cap_bytes``.

    Raises :class:`SelectionTooLarge` with ``policy="refuse"`` when over the cap.
    """
    estimate = _nbytes(sizes, itemsize)
    if estimate <= cap_bytes:
        return SizePlan(estimate, estimate)
    shape = " × ".join(str(n) for n in sizes.values())
    if policy == "refuse":
        raise SelectionTooLarge(
            f"{what} is about {human_bytes(estimate)} ({shape} values), over the "
            f"{human_bytes(cap_bytes)} limit", estimate_bytes=estimate, cap_bytes=cap_bytes,
            dataset=dataset)
    work = {d: int(n) for d, n in sizes.items()}
    last_only = False
    if time_dim and work.get(time_dim, 1) > 1 and not time_selected:
        work[time_dim], last_only = 1, True
    strides: dict[str, int] = {}
    if _nbytes(work, itemsize) > cap_bytes:
        strides.update(_stride(work, space_dims, itemsize, cap_bytes))
    if _nbytes(work, itemsize) > cap_bytes and time_dim and not last_only:
        strides.update(_stride(work, [time_dim], itemsize, cap_bytes))
    final = _nbytes(work, itemsize)
    if final > cap_bytes:
        raise SelectionTooLarge(
            f"{what} is about {human_bytes(estimate)} ({shape} values) and stays over the "
            f"{human_bytes(cap_bytes)} limit even when thinned", estimate_bytes=estimate,
            cap_bytes=cap_bytes, dataset=dataset)
    return SizePlan(estimate, final, strides, last_only)
