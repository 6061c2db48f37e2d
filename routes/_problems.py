"""Problems found in route files, each pinned to the file, line and column it is about, so an
editor or a terminal can jump straight to it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a route: `file:line:col: where: message`.

    `file` is None for a route built in Python; line and column count from 1 (0: unknown).
    """

    file: str | None
    line: int
    column: int
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}:{self.column}: " if self.file is not None else ""
        where = f"{self.where}: " if self.where else ""
        return f"{place}{where}{self.message}"


class RouteFileError(ValueError):
    """Route files that cannot be loaded; `problems` lists every one, in file and line order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file or "", p.line, p.column))
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in route files:\n{lines}")
