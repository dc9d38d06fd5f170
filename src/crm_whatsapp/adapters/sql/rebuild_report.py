"""What a rebuild of the phone-key index found, for the person who ran it.

The report is the index's answer to "did the CRM's numbers make sense?": how many clients
and numbers were read, how the index changed, and a few examples of phone texts that are
no phone number, kept short so a person can go and fix them in the CRM.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

_EXAMPLE_TEXT_LIMIT = 60


@dataclass(frozen=True, slots=True)
class UnparseableNumber:
    """A phone column's text that is no phone number, kept so a person can fix the CRM."""

    client_id: str
    column: str
    text: str
    reason: str

    def __str__(self) -> str:
        return f"client {self.client_id} {self.column} {self.text!r}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild found.

    ``numbers_indexed`` counts distinct (number, client) pairs, so a client with the same
    number in two columns counts once; ``numbers_added`` and ``numbers_removed`` are how
    the index changed (both 0 when the CRM did not). Empty and NULL phone columns are not
    unparseable: nobody wrote a number there. ``clients_skipped`` have an id longer than
    the index can hold (128 characters); they can never be found by phone.
    """

    clients_read: int
    clients_with_numbers: int
    numbers_indexed: int
    numbers_added: int
    numbers_removed: int
    unparseable: int
    unparseable_examples: tuple[UnparseableNumber, ...]
    clients_skipped: int
    duration: timedelta

    def summary(self) -> str:
        seconds = self.duration.total_seconds()
        lines = [
            f"read {self.clients_read:,} clients ({self.clients_with_numbers:,} with a "
            f"number), indexed {self.numbers_indexed:,} numbers ({self.numbers_added:,} new, "
            f"{self.numbers_removed:,} gone) in {seconds:.1f} s",
        ]
        if self.unparseable:
            texts, are = ("text", "is") if self.unparseable == 1 else ("texts", "are")
            lines.append(f"{self.unparseable:,} {texts} in phone columns {are} no phone number:")
            lines.extend(f"  {example}" for example in self.unparseable_examples)
            if self.unparseable > len(self.unparseable_examples):
                lines.append("  ...")
        if self.clients_skipped:
            lines.append(f"{self.clients_skipped:,} clients skipped: id too long to index")
        return "\n".join(lines)


@dataclass
class RebuildTally:
    """The counts a rebuild gathers as it reads, turned into its report at the end."""

    max_examples: int
    clients_read: int = 0
    clients_with_numbers: int = 0
    numbers_indexed: int = 0
    unparseable: int = 0
    clients_skipped: int = 0
    examples: list[UnparseableNumber] = field(default_factory=list)

    def unreadable(self, client_id: str, column: str, text: str, reason: str) -> None:
        self.unparseable += 1
        if len(self.examples) < self.max_examples:
            shown = text if len(text) <= _EXAMPLE_TEXT_LIMIT else text[:_EXAMPLE_TEXT_LIMIT] + "…"
            self.examples.append(UnparseableNumber(client_id, column, shown, reason))

    def report(self, started: float, *, added: int, removed: int) -> RebuildReport:
        return RebuildReport(
            clients_read=self.clients_read,
            clients_with_numbers=self.clients_with_numbers,
            numbers_indexed=self.numbers_indexed,
            numbers_added=added,
            numbers_removed=removed,
            unparseable=self.unparseable,
            unparseable_examples=tuple(self.examples),
            clients_skipped=self.clients_skipped,
            duration=timedelta(seconds=time.monotonic() - started),
        )
