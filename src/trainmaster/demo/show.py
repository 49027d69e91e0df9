"""What the demo shows as it happens: one line per step, with the seconds since the start."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager

from rich.console import Console


class Show:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        self.started = time.monotonic()

    def _at(self) -> str:
        return f"[dim]{time.monotonic() - self.started:5.1f}s[/dim]"

    def heading(self, text: str) -> None:
        self.console.rule(f"[bold]{text}")

    def step(self, text: str) -> None:
        self.console.print(f"{self._at()}  {text}")

    def good(self, text: str) -> None:
        self.console.print(f"{self._at()}  [green]✔[/green] {text}")

    def bad(self, text: str) -> None:
        self.console.print(f"{self._at()}  [red]✘[/red] {text}")

    def waiting(self, text: str) -> AbstractContextManager[object]:
        return self.console.status(text, spinner="dots")
