"""The label catalog: every agent reads it (the inbox colours its chips from it); admins name,
colour, rename and delete labels.

- The catalog is always complete. A label an agent puts on a conversation joins it, in the
  default colour, in the same unit of work (``catalogue``). Conversations labelled before the
  catalog existed are not backfilled by a migration: the read side lists the labels they carry
  with the catalog's (``LabelQueries.catalog``), and the first admin change to one stores it.
  No write happens on a read, and no large table is rewritten while the service upgrades.
- Renaming rewrites every conversation of the association that carries the label, in the same
  transaction; renaming onto an existing label merges the two (the target keeps its colour
  unless the change names one). Deleting removes the label from every conversation.
- Those rewrites publish no live event per conversation: the inboxes show the new names when
  they next load the list, as they do after any catalog change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import AlreadyExists, DomainError, UnknownLabel
from wa_crm.domain.model.label_catalog import DEFAULT_COLOUR, Label, LabelUsage, valid_colour
from wa_crm.domain.model.labels import normalize_label
from wa_crm.ports.queries import LabelQueries
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class LabelChanges:
    """None keeps the current value."""

    name: str | None = None
    colour: str | None = None


async def catalogue(
    uow: UnitOfWork, association_id: str, names: Iterable[str], clock: Clock
) -> None:
    """Add the labels the catalog lacks, in the default colour (names already normalized)."""
    now = clock.now()
    for name in names:
        await uow.labels.add_if_absent(Label(association_id, name, DEFAULT_COLOUR, now))


def _unknown(name: str) -> UnknownLabel:
    return UnknownLabel(f"no label {name[:40]!r}")


@dataclass(frozen=True)
class LabelCatalog:
    uow_factory: UnitOfWorkFactory
    queries: LabelQueries
    clock: Clock

    async def list(self, association_id: str) -> Sequence[LabelUsage]:
        return await self.queries.catalog(association_id)

    async def create(
        self, association_id: str, name: str, colour: str | None
    ) -> Result[LabelUsage, DomainError]:
        match _valid(name, colour):
            case Failure(error):
                return Failure(error)
            case Success((valid_name, valid_colour_)):
                pass
        label = Label(association_id, valid_name, valid_colour_ or DEFAULT_COLOUR, self.clock.now())
        async with self.uow_factory() as uow:
            if not await uow.labels.add_if_absent(label):
                return Failure(AlreadyExists(f"the label {valid_name!r} exists already"))
            carried = await uow.labels.carried(association_id, valid_name)
            await uow.commit()
        return Success(LabelUsage(label.name, label.colour, carried))

    async def update(
        self, association_id: str, name: str, changes: LabelChanges
    ) -> Result[LabelUsage, DomainError]:
        """Rename and/or recolour; a label only conversations carry is stored by its first
        change."""
        current_name = normalize_label(name).value_or(None)
        if current_name is None:
            return Failure(_unknown(name))
        match _valid(current_name if changes.name is None else changes.name, changes.colour):
            case Failure(error):
                return Failure(error)
            case Success((new_name, colour)):
                pass
        async with self.uow_factory() as uow:
            current = await uow.labels.get(association_id, current_name)
            if current is None:
                if not await uow.labels.carried(association_id, current_name):
                    return Failure(_unknown(current_name))
                current = Label(association_id, current_name, DEFAULT_COLOUR, self.clock.now())
                await uow.labels.add_if_absent(current)
            result = await self._apply(uow, current, new_name, colour)
            await uow.commit()
        return Success(result)

    async def _apply(
        self, uow: UnitOfWork, current: Label, new_name: str, colour: str | None
    ) -> LabelUsage:
        association_id = current.association_id
        if new_name == current.name:
            label = replace(current, colour=colour or current.colour)
            await uow.labels.update(label)
        else:
            await uow.labels.relabel(association_id, current.name, new_name)
            await uow.labels.delete(association_id, current.name)
            target = await uow.labels.get(association_id, new_name)
            if target is None:
                label = replace(current, name=new_name, colour=colour or current.colour)
                await uow.labels.add_if_absent(label)
            else:
                label = replace(target, colour=colour or target.colour)
                await uow.labels.update(label)
        carried = await uow.labels.carried(association_id, label.name)
        return LabelUsage(label.name, label.colour, carried)

    async def delete(self, association_id: str, name: str) -> Result[int, DomainError]:
        """Remove the label from the catalog and from every conversation; how many
        conversations carried it."""
        valid_name = normalize_label(name).value_or(None)
        if valid_name is None:
            return Failure(_unknown(name))
        async with self.uow_factory() as uow:
            removed = await uow.labels.delete(association_id, valid_name)
            changed = await uow.labels.relabel(association_id, valid_name, None)
            if not removed and not changed:
                return Failure(_unknown(valid_name))
            await uow.commit()
        return Success(changed)


def _valid(name: str, colour: str | None) -> Result[tuple[str, str | None], DomainError]:
    """The name normalized, the colour checked against the palette (None: not given)."""
    match normalize_label(name):
        case Failure(error):
            return Failure(error)
        case Success(valid_name):
            pass
    if colour is None:
        return Success((valid_name, None))
    return valid_colour(colour).map(lambda checked: (valid_name, checked))
