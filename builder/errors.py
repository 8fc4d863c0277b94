"""Domain errors: every problem names a file and a line, and all of them are reported at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    path: str  # as the writer sees it: "config.yml", "content/ru/nds/x.md"
    line: int  # 1-based; 0 when the problem is about the whole file
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "warning: " if self.warning else ""
        return f"{where}: {prefix}{self.message}"


class BuildError(Exception):
    """Raised with every problem found, after all of them were collected."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(p for p in problems if not p.warning)
        count = len(self.problems)
        super().__init__(f"{count} error{'s' if count != 1 else ''}")


class ConfigError(BuildError):
    pass


class ContentError(BuildError):
    pass
