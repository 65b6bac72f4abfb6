"""Registry imports: every field round-trips, an import is its association's only, and the
recent ones come newest first."""

from __future__ import annotations

import dataclasses

import pytest

from wa_crm.domain.model.imports import Import, ImportKind, ImportStatus, RowError
from wa_crm.ports.queries import Queries
from wa_crm.ports.unit_of_work import DuplicateKey

from .base import PersistenceContract, UowFactory
from .builders import SAO_PAULO, an_association, at, new_id


def an_import(association_id: str, seconds: float = 0) -> Import:
    """Every field away from its default."""
    import_id = new_id("import")
    return Import(
        id=import_id,
        association_id=association_id,
        kind=ImportKind.ORDERS,
        file_key=f"{association_id}/imports/{import_id}",
        created_by="agent-1",
        created_at=at(seconds).astimezone(SAO_PAULO),
        updated_at=at(seconds + 5),
        status=ImportStatus.FAILED,
        rows_done=7_000,
        imported=6_990,
        bad_rows=10,
        errors=(RowError(3, "date 'amanhã' is not YYYY-MM-DD"), RowError(9, "no patient 'p9'")),
        error="the uploaded file is gone",
        finished_at=at(seconds + 6),
        file_offset=5_000_000_000,  # past 32 bits: a 50 MiB file is far from it, but the type is
        lines_read=7_002,
    )


class ImportContract(PersistenceContract):
    async def _two_associations(self, uow_factory: UowFactory) -> tuple[str, str]:
        mine, other = an_association(), an_association()
        async with uow_factory() as uow:
            await uow.associations.add(mine)
            await uow.associations.add(other)
            await uow.commit()
        return mine.id, other.id

    async def test_an_import_round_trips_every_field(self, uow_factory: UowFactory) -> None:
        mine, _ = await self._two_associations(uow_factory)
        stored = an_import(mine)
        async with uow_factory() as uow:
            await uow.imports.add(stored)
            await uow.commit()

        async with uow_factory() as uow:
            found = await uow.imports.get(mine, stored.id)

        assert found == stored

    async def test_an_update_keeps_the_progress_and_resume_point(
        self, uow_factory: UowFactory
    ) -> None:
        mine, _ = await self._two_associations(uow_factory)
        stored = dataclasses.replace(an_import(mine), status=ImportStatus.QUEUED)
        async with uow_factory() as uow:
            await uow.imports.add(stored)
            await uow.commit()

        moved = dataclasses.replace(
            stored, status=ImportStatus.RUNNING, rows_done=7_500, file_offset=12, lines_read=13
        )
        async with uow_factory() as uow:
            await uow.imports.update(moved)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.imports.get(mine, stored.id) == moved

    async def test_an_import_is_found_only_in_its_association(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, other = await self._two_associations(uow_factory)
        stored = an_import(mine)
        async with uow_factory() as uow:
            await uow.imports.add(stored)
            await uow.commit()

        async with uow_factory() as uow:
            assert await uow.imports.get(other, stored.id) is None
        assert await queries.imports.recent(other, 10) == []
        assert await queries.imports.recent(mine, 10) == [stored]

    async def test_recent_imports_come_newest_first_up_to_the_limit(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, other = await self._two_associations(uow_factory)
        stored = [an_import(mine, seconds) for seconds in (10, 30, 20)]
        async with uow_factory() as uow:
            for item in [*stored, an_import(other, 40)]:
                await uow.imports.add(item)
            await uow.commit()

        recent = await queries.imports.recent(mine, 2)

        assert [item.id for item in recent] == [stored[1].id, stored[2].id]

    async def test_adding_an_import_twice_is_a_duplicate(self, uow_factory: UowFactory) -> None:
        mine, _ = await self._two_associations(uow_factory)
        stored = an_import(mine)
        async with uow_factory() as uow:
            await uow.imports.add(stored)
            await uow.commit()

        async with uow_factory() as uow:
            with pytest.raises(DuplicateKey):
                await uow.imports.add(stored)
