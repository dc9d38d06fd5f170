"""``InvalidRulesFile``: everything that can be wrong with a rules file, as one located line."""

from __future__ import annotations

from crm_whatsapp.domain.errors import InvalidBotRules

WHOLE_FILE = "-"
"""The ``field`` of problems that concern no single key (missing file, syntax error)."""


class InvalidRulesFile(InvalidBotRules):
    """A rules file (or mapping) that does not describe valid ``BotRules``.

    An ``InvalidBotRules``, so code that catches the domain's error catches this one too.
    ``path`` is the file as given (or the mapping's ``source``), ``field`` the location as
    the file writes it (``rules[1].patterns``, ``business_hours.weekly.sábado[0]``, or
    ``-`` for the whole file) and ``problem`` what to fix. The message is always one line,
    ``<path>: <field>: <problem>``, so it reads well in a log or a terminal.
    """

    code = "invalid_rules_file"

    def __init__(self, path: str, field: str, problem: str) -> None:
        one_line = " ".join(problem.split())
        super().__init__(field, one_line)
        self.args = (f"{path}: {field}: {one_line}",)
        self.path = path
