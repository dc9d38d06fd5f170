"""The synced catalogue: stored whole after each complete sync, and kept current by
Meta's template webhooks in between."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from crm_whatsapp.domain.ports import UnitOfWork
from crm_whatsapp.domain.rule_templates import rule_template_problems
from crm_whatsapp.domain.template_ports import FetchedCatalogue, TemplateUpdate
from crm_whatsapp.domain.templates import SyncReport, Template, TemplateFilter
from crm_whatsapp.domain.use_cases.dependencies import Dependencies


def store_catalogue(deps: Dependencies, fetched: FetchedCatalogue) -> SyncReport:
    """Replace the stored catalogue with what Meta listed, in one transaction.

    Only a complete listing gets here (a failed page raises before), so a template
    missing from it is gone at Meta: it is removed, and a send naming it is refused as
    unknown. An unchanged template keeps its ``updated_at``. The bot rules' templates are
    checked against the new catalogue (``SyncReport.rule_problems``).
    """
    now = deps.clock.now()
    created = updated = removed = 0
    with deps.unit_of_work() as uow:
        catalog = uow.templates
        before = {t.key: t for t in catalog.list(TemplateFilter())}
        listed = {t.key: t for t in fetched.templates}
        for key, template in listed.items():
            old = before.get(key)
            if old is None:
                created += 1
                catalog.save(replace(template, updated_at=now))
            elif replace(old, updated_at=None) != replace(template, updated_at=None):
                updated += 1
                catalog.save(replace(template, updated_at=now))
        for key in before.keys() - listed.keys():
            removed += 1
            catalog.remove(*key)
        catalog.mark_synced(now)
        uow.commit()
    problems = rule_template_problems(
        deps.rules, lambda name, language: listed.get((name, language))
    )
    return SyncReport(len(listed), fetched.pages, created, updated, removed, now, problems)


def apply_template_update(uow: UnitOfWork, update: TemplateUpdate, at: datetime) -> Template | None:
    """A status, quality or category webhook, applied at once inside the caller's unit of
    work. One for a template never synced waits for the next sync, which also corrects
    the rare pair of webhooks applied out of order (a sync's listing is Meta's present)."""
    catalog = uow.templates
    template = catalog.get(update.name, update.language)
    if template is None:
        return None
    after = template
    if update.status is not None:
        after = after.with_status(update.status.upper(), update.reason, at)
    if update.quality is not None:
        after = after.with_quality(update.quality.upper(), at)
    if update.category is not None:
        after = after.with_category(update.category.upper(), at)
    if after == template:
        return None
    catalog.save(after)
    return after
