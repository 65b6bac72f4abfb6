"""The label catalog: colours kept per association, counts of the conversations carrying each
label (labels found only on conversations too), and renames and deletions rewriting them."""

from __future__ import annotations

from wa_crm.domain.model.label_catalog import DEFAULT_COLOUR, Label, LabelUsage
from wa_crm.ports.queries import Queries

from .base import PersistenceContract, UowFactory
from .builders import T0, a_contact, a_conversation, an_association


class LabelContract(PersistenceContract):
    async def _setting(self, uow_factory: UowFactory) -> tuple[str, str, list[str]]:
        """Two associations; in the first, conversations labelled (vip, diabetes),
        (diabetes), (); in the other one (vip)."""
        mine, other = an_association(), an_association()
        ids = []
        async with uow_factory() as uow:
            await uow.associations.add(mine)
            await uow.associations.add(other)
            for association, labels in (
                (mine, ("diabetes", "vip")),
                (mine, ("diabetes",)),
                (mine, ()),
                (other, ("vip",)),
            ):
                contact = a_contact(association.id)
                await uow.contacts.add(contact)
                conversation = a_conversation(association.id, contact.id, labels=labels)
                await uow.conversations.add(conversation)
                ids.append(conversation.id)
            await uow.commit()
        return mine.id, other.id, ids

    async def test_labels_round_trip_per_association(self, uow_factory: UowFactory) -> None:
        mine, other, _ = await self._setting(uow_factory)
        vip = Label(mine, "vip", "#b91c1c", T0)
        async with uow_factory() as uow:
            assert await uow.labels.add_if_absent(vip)
            assert not await uow.labels.add_if_absent(Label(mine, "vip", "#15803d", T0))
            assert await uow.labels.add_if_absent(Label(other, "vip", "#15803d", T0))
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.labels.get(mine, "vip") == vip
            assert await uow.labels.get(mine, "absent") is None
            await uow.labels.update(Label(mine, "vip", "#1d4ed8", T0))
            await uow.labels.update(Label(mine, "absent", "#1d4ed8", T0))
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.labels.get(mine, "vip") == Label(mine, "vip", "#1d4ed8", T0)
            assert await uow.labels.get(mine, "absent") is None
            assert await uow.labels.get(other, "vip") == Label(other, "vip", "#15803d", T0)
            assert await uow.labels.delete(mine, "vip")
            assert not await uow.labels.delete(mine, "vip")
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.labels.get(mine, "vip") is None
            assert await uow.labels.get(other, "vip") is not None

    async def test_the_catalog_counts_conversations_and_holds_labels_only_they_carry(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, other, _ = await self._setting(uow_factory)
        async with uow_factory() as uow:
            await uow.labels.add_if_absent(Label(mine, "vip", "#b91c1c", T0))
            await uow.labels.add_if_absent(Label(mine, "unused", "#15803d", T0))
            assert await uow.labels.carried(mine, "diabetes") == 2
            assert await uow.labels.carried(mine, "vip") == 1
            assert await uow.labels.carried(mine, "unused") == 0
            await uow.commit()
        assert await queries.labels.catalog(mine) == [
            LabelUsage("diabetes", DEFAULT_COLOUR, 2),
            LabelUsage("unused", "#15803d", 0),
            LabelUsage("vip", "#b91c1c", 1),
        ]
        assert await queries.labels.catalog(other) == [LabelUsage("vip", DEFAULT_COLOUR, 1)]
        assert await queries.labels.catalog("nobody") == []

    async def test_relabelling_rewrites_the_associations_conversations_only(
        self, uow_factory: UowFactory
    ) -> None:
        mine, other, ids = await self._setting(uow_factory)
        async with uow_factory() as uow:
            before = await uow.conversations.get(mine, ids[0])
            assert await uow.labels.relabel(mine, "vip", "diabetes") == 1
            assert await uow.labels.relabel(mine, "absent", "x") == 0
            await uow.commit()
        async with uow_factory() as uow:
            merged = await uow.conversations.get(mine, ids[0])
            assert merged is not None and before is not None
            assert merged.labels == ("diabetes",)
            assert merged.status == before.status and merged.contact_id == before.contact_id
            elsewhere = await uow.conversations.get(other, ids[3])
            assert elsewhere is not None and elsewhere.labels == ("vip",)
            assert await uow.labels.relabel(mine, "diabetes", "a b") == 2
            await uow.commit()
        async with uow_factory() as uow:
            labels = [(await uow.conversations.get(mine, id_)) for id_ in ids[:3]]
            assert [c.labels for c in labels if c] == [("a b",), ("a b",), ()]
            assert await uow.labels.relabel(mine, "a b", None) == 2
            await uow.commit()
        async with uow_factory() as uow:
            labels = [(await uow.conversations.get(mine, id_)) for id_ in ids[:3]]
            assert [c.labels for c in labels if c] == [(), (), ()]
            assert await uow.labels.carried(mine, "a b") == 0

    async def test_a_relabel_rolled_back_changes_nothing(self, uow_factory: UowFactory) -> None:
        mine, _, ids = await self._setting(uow_factory)
        async with uow_factory() as uow:
            await uow.labels.relabel(mine, "diabetes", None)
            await uow.rollback()
        async with uow_factory() as uow:
            kept = await uow.conversations.get(mine, ids[1])
            assert kept is not None and kept.labels == ("diabetes",)
