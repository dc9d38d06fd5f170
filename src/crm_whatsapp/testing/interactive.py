"""Hypothesis strategies for reply buttons and lists within WhatsApp's limits.

Any text a person may write (accents, emoji, other scripts; never blank), any number of
buttons (1 to 3) or rows (1 to 10, in 1 to 10 sections), every optional part present or
not: what ``InteractiveContent`` must accept, store and send::

    from crm_whatsapp.testing.interactive import interactive_contents

    @given(interactive_contents())
    def test_my_store_keeps_buttons(content): ...
"""

from __future__ import annotations

from hypothesis import strategies as st

from crm_whatsapp.domain.interactive import (
    MAX_BODY,
    MAX_BUTTON_ID,
    MAX_BUTTON_TITLE,
    MAX_BUTTONS,
    MAX_FOOTER,
    MAX_HEADER,
    MAX_LIST_BODY,
    MAX_LIST_BUTTON,
    MAX_ROW_DESCRIPTION,
    MAX_ROW_ID,
    MAX_ROW_TITLE,
    MAX_ROWS,
    MAX_SECTION_TITLE,
    MAX_SECTIONS,
    InteractiveContent,
    ListRow,
    ListSection,
    ReplyButton,
)

_ALPHABET = st.characters(codec="utf-8", exclude_characters="\x00")
"""Any character but lone surrogates (not text) and NUL (PostgreSQL cannot store it)."""


def interactive_texts(limit: int) -> st.SearchStrategy[str]:
    """A text of 1 to ``limit`` characters that is not blank."""
    return st.text(_ALPHABET, min_size=1, max_size=limit).filter(lambda t: bool(t.strip()))


def choice_ids(limit: int) -> st.SearchStrategy[str]:
    """An id: not blank, no space at either end."""
    return interactive_texts(limit).filter(lambda t: t == t.strip())


@st.composite
def reply_buttons_contents(draw: st.DrawFn) -> InteractiveContent:
    count = draw(st.integers(1, MAX_BUTTONS))
    ids = draw(st.lists(choice_ids(MAX_BUTTON_ID), min_size=count, max_size=count, unique=True))
    titles = draw(
        st.lists(interactive_texts(MAX_BUTTON_TITLE), min_size=count, max_size=count, unique=True)
    )
    return InteractiveContent.with_buttons(
        draw(interactive_texts(MAX_BODY)),
        [ReplyButton(i, t) for i, t in zip(ids, titles, strict=True)],
        header=draw(st.none() | interactive_texts(MAX_HEADER)),
        footer=draw(st.none() | interactive_texts(MAX_FOOTER)),
    )


@st.composite
def list_contents(draw: st.DrawFn) -> InteractiveContent:
    total = draw(st.integers(1, MAX_ROWS))
    ids = draw(st.lists(choice_ids(MAX_ROW_ID), min_size=total, max_size=total, unique=True))
    rows = [
        ListRow(
            row_id,
            draw(interactive_texts(MAX_ROW_TITLE)),
            draw(st.none() | interactive_texts(MAX_ROW_DESCRIPTION)),
        )
        for row_id in ids
    ]
    cuts = sorted(draw(st.sets(st.integers(1, MAX_ROWS), max_size=MAX_SECTIONS - 1)))
    cuts = [cut for cut in cuts if cut < total]
    groups = [rows[a:b] for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    titles = (
        st.none() | interactive_texts(MAX_SECTION_TITLE)
        if len(groups) == 1
        else interactive_texts(MAX_SECTION_TITLE)
    )
    sections = [ListSection(draw(titles), tuple(group)) for group in groups]
    return InteractiveContent.with_list(
        draw(interactive_texts(MAX_LIST_BODY)),
        draw(interactive_texts(MAX_LIST_BUTTON)),
        sections,
        header=draw(st.none() | interactive_texts(MAX_HEADER)),
        footer=draw(st.none() | interactive_texts(MAX_FOOTER)),
    )


def interactive_contents() -> st.SearchStrategy[InteractiveContent]:
    """Reply buttons or a list."""
    return reply_buttons_contents() | list_contents()
