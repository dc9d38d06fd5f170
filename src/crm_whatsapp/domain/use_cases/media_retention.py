"""Retention: delete our copies of old messages' files (``crm-whatsapp media prune``).

A message older than the cutoff keeps its text, its caption and what its file was (type,
name, size, digest); only the bytes go, and its file's state becomes ``pruned``, so the
inbox says "deleted by the retention policy" instead of offering a broken link.

Each batch is two steps, in this order:

1. in one unit of work, the batch's messages are marked ``pruned`` and committed (the
   inbox is told);
2. then, for the batch's distinct digests, a new unit of work asks which a message still
   keeps as its stored file, and only the others are deleted from the ``MediaStore``.
   Objects are addressed by content, so two messages may share one: the newer keeps it.

A crash between the two steps (or a store that fails to delete) leaves an orphan object,
some wasted bytes, never a message that claims a file that is gone; the reverse order
could. The loop ends when a batch comes back empty, so a second run has nothing to do.

``count_prunable`` tells what a run would do, changing nothing (``--dry-run``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from crm_whatsapp.domain.events import MediaStatusChanged
from crm_whatsapp.domain.media import MediaStatus
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.ports import MediaStore
from crm_whatsapp.domain.use_cases.dependencies import Dependencies

DEFAULT_BATCH_SIZE = 200


@dataclass(frozen=True, slots=True)
class PruneReport:
    """``pruned_messages``: messages whose file is now ``pruned``; ``deleted_files``:
    objects deleted from the store; ``kept_shared``: objects kept because a message newer
    than the cutoff has the same file."""

    pruned_messages: int = 0
    deleted_files: int = 0
    kept_shared: int = 0


async def prune_media(
    deps: Dependencies,
    store: MediaStore,
    before: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> PruneReport:
    """Prune the files of messages created before ``before``, ``batch_size`` messages at a
    time; ``progress`` is called after each batch with the number pruned so far.

    The database calls run on a worker thread, never on the loop. A store that fails to
    delete raises (``MediaStoreUnavailable``) after its batch's messages were committed as
    pruned: the object stays behind as an orphan, and a later run does not revisit it.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    pruned = deleted = 0
    kept: set[str] = set()  # objects a message still kept when their batch was pruned
    while True:
        batch = await asyncio.to_thread(prune_batch, deps, before, batch_size)
        if not batch:
            break
        pruned += len(batch)
        digests = _digests(batch)
        in_use = await asyncio.to_thread(media_in_use, deps, digests)
        for digest in digests:
            if digest in in_use:
                kept.add(digest)
            else:
                await store.delete(digest)
                kept.discard(digest)  # kept by an older message of an earlier batch
                deleted += 1
        if progress is not None:
            progress(pruned)
    return PruneReport(pruned, deleted, len(kept))


def prune_batch(deps: Dependencies, before: datetime, limit: int) -> list[Message]:
    """Step 1: mark up to ``limit`` of the oldest stored files before ``before`` as
    ``pruned``, commit, and tell the inbox; the messages as they now are."""
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        batch = [
            m.with_media(m.media.pruned())
            for m in repo.stored_media_older_than(before, limit)
            if m.media is not None
        ]
        repo.update_messages(batch)
        uow.commit()
    deps.events.publish(
        [MediaStatusChanged(m.conversation_id, m.id, MediaStatus.PRUNED) for m in batch]
    )
    return batch


def media_in_use(deps: Dependencies, digests: Sequence[str]) -> set[str]:
    """Step 2's question: which of these objects a message still keeps as its file."""
    if not digests:
        return set()
    with deps.unit_of_work() as uow:
        return uow.conversations.media_in_use(digests)


def count_prunable(
    deps: Dependencies, before: datetime, batch_size: int = DEFAULT_BATCH_SIZE
) -> PruneReport:
    """What ``prune_media(deps, store, before)`` would report now, changing nothing: the
    stored objects of messages before ``before`` are read ``batch_size`` digests at a time."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    messages = deleted = kept = 0
    after: str | None = None
    while True:
        with deps.unit_of_work() as uow:
            page = uow.conversations.media_usage_older_than(before, after, batch_size)
        if not page:
            return PruneReport(messages, deleted, kept)
        for usage in page:
            messages += usage.old_messages
            if usage.kept_by_newer:
                kept += 1
            else:
                deleted += 1
        after = page[-1].sha256


def _digests(messages: Sequence[Message]) -> list[str]:
    return sorted({m.media.sha256 for m in messages if m.media is not None and m.media.sha256})
