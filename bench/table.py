"""One table for every benchmark: each figure, its baseline from the same run, ratio and target.

A benchmark returns its results as ``Figure``s; ``python -m bench`` gathers them and prints them
with ``render``. A target bounds either the value itself (``target_of="value"``: a p95 wait under
1 s) or its ratio to the baseline (``target_of="ratio"``: the sandbox under 1.3x the bare run).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Figure", "render"]

Better = Literal["lower", "higher"]


@dataclass(frozen=True)
class Figure:
    """One measured figure, against a baseline measured in the same run."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    target: float | None = None
    better: Better = "lower"
    target_of: Literal["value", "ratio"] = "value"
    against: str = ""

    @property
    def ratio(self) -> float | None:
        """Return value over baseline, or None without a (non-zero) baseline."""
        if self.baseline is None or self.baseline == 0 or math.isnan(self.baseline):
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        """Tell whether the target is met (None: no target, or no ratio to hold it against)."""
        if self.target is None:
            return None
        measured = self.value if self.target_of == "value" else self.ratio
        if measured is None or math.isnan(measured):
            return None
        return measured <= self.target if self.better == "lower" else measured >= self.target


def _number(value: float | None, unit: str = "") -> str:
    if value is None or math.isnan(value):
        return "-"
    whole = float(value).is_integer() and unit not in {"s", "ms"}
    digits = 0 if abs(value) >= 100 or whole else 2
    text = f"{value:.{digits}f}"
    return f"{text} {unit}".rstrip()


def _target(figure: Figure) -> str:
    if figure.target is None:
        return "-"
    sign = "<=" if figure.better == "lower" else ">="
    if figure.target_of == "ratio":
        return f"{sign} {figure.target:g}x"
    return f"{sign} {_number(figure.target, figure.unit)}"


def _verdict(figure: Figure) -> str:
    return {True: "yes", False: "NO", None: "-"}[figure.met]


def render(figures: Iterable[Figure], *, title: str = "benchmarks") -> str:
    """Return the figures as one aligned text table, then a line counting targets met."""
    items = list(figures)
    header = ("figure", "value", "baseline", "against", "ratio", "target", "met")
    rows = [
        (
            figure.name,
            _number(figure.value, figure.unit),
            _number(figure.baseline, figure.unit),
            figure.against or "-",
            "-" if figure.ratio is None else f"{figure.ratio:.2f}x",
            _target(figure),
            _verdict(figure),
        )
        for figure in items
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {1, 2, 4, 5}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    targeted = [figure for figure in items if figure.met is not None]
    met = sum(1 for figure in targeted if figure.met)
    out = [title, line(header), line(tuple("-" * width for width in widths))]
    out += [line(row) for row in rows]
    out.append(f"targets met: {met} of {len(targeted)}")
    return "\n".join(out)
