"""Patients (with phones and orders) and contacts."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from wa_crm.domain.model.people import ContactKind, PatientStatus
from wa_crm.ports.unit_of_work import DuplicateKey

from .base import PersistenceContract, UowFactory
from .builders import SAO_PAULO, a_contact, a_patient, an_order, at

ASSOCIATION = "assoc-people"


class PatientContract(PersistenceContract):
    async def test_round_trip_with_orders_newest_first(self, uow_factory: UowFactory) -> None:
        patient = a_patient(ASSOCIATION, phones=("+5511999998888", "+551133334444", "+5521"))
        old = an_order(date=date(2025, 1, 1), total=Decimal("0.10"))
        new = an_order(date=date(2026, 1, 1), total=Decimal("1234567890.99"))
        async with uow_factory() as uow:
            await uow.patients.upsert(patient)
            await uow.patients.add_order(ASSOCIATION, patient.id, old)
            await uow.patients.add_order(ASSOCIATION, patient.id, new)
            await uow.commit()
        async with uow_factory() as uow:
            loaded = await uow.patients.get(ASSOCIATION, patient.id)
        assert loaded == dataclasses.replace(patient, orders=(new, old))
        assert loaded is not None and isinstance(loaded.orders[0].total, Decimal)

    async def test_unknown_patient_is_none(self, uow_factory: UowFactory) -> None:
        patient = a_patient(ASSOCIATION)
        async with uow_factory() as uow:
            await uow.patients.upsert(patient)
            assert await uow.patients.get(ASSOCIATION, "nope") is None
            assert await uow.patients.get("other-association", patient.id) is None

    async def test_upsert_replaces_fields_and_phones_and_keeps_orders(
        self, uow_factory: UowFactory
    ) -> None:
        patient = a_patient(ASSOCIATION)
        order = an_order()
        async with uow_factory() as uow:
            await uow.patients.upsert(patient)
            await uow.patients.add_order(ASSOCIATION, patient.id, order)
            await uow.commit()
        changed = dataclasses.replace(
            patient,
            full_name="Maria S.",
            phones=("+5511900000000",),
            status=PatientStatus.INACTIVE,
            profile={},
        )
        async with uow_factory() as uow:
            await uow.patients.upsert(changed)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.patients.get(ASSOCIATION, patient.id) == dataclasses.replace(
                changed, orders=(order,)
            )
            assert await uow.patients.find_by_phone(ASSOCIATION, patient.phones[0]) == []

    async def test_repeated_phones_are_stored_once(self, uow_factory: UowFactory) -> None:
        patient = a_patient(ASSOCIATION, phones=("+551", "+552", "+551"))
        async with uow_factory() as uow:
            await uow.patients.upsert(patient)
            loaded = await uow.patients.get(ASSOCIATION, patient.id)
        assert loaded is not None and loaded.phones == ("+551", "+552")

    async def test_find_by_phone_returns_every_owner_whatever_the_status(
        self, uow_factory: UowFactory
    ) -> None:
        shared = "+5511988887777"
        active = a_patient(ASSOCIATION, id="p-b", phones=(shared,))
        inactive = a_patient(
            ASSOCIATION, id="p-a", phones=("+1", shared), status=PatientStatus.INACTIVE
        )
        elsewhere = a_patient("other-association", phones=(shared,))
        order = an_order()
        async with uow_factory() as uow:
            for patient in (active, inactive, elsewhere, a_patient(ASSOCIATION)):
                await uow.patients.upsert(patient)
            await uow.patients.add_order(ASSOCIATION, active.id, order)
            await uow.commit()
        async with uow_factory() as uow:
            found = await uow.patients.find_by_phone(ASSOCIATION, shared)
        assert found == [inactive, dataclasses.replace(active, orders=(order,))]

    async def test_add_order_replaces_an_order_by_id(self, uow_factory: UowFactory) -> None:
        patient = a_patient(ASSOCIATION)
        order = an_order()
        shipped = dataclasses.replace(order, status="shipped", total=Decimal("5"))
        async with uow_factory() as uow:
            await uow.patients.upsert(patient)
            await uow.patients.add_order(ASSOCIATION, patient.id, order)
            await uow.patients.add_order(ASSOCIATION, patient.id, shipped)
            await uow.commit()
        async with uow_factory() as uow:
            loaded = await uow.patients.get(ASSOCIATION, patient.id)
        assert loaded is not None and loaded.orders == (shipped,)
        assert loaded.orders[0].total == Decimal("5.00")


class ContactContract(PersistenceContract):
    async def test_round_trip(self, uow_factory: UowFactory) -> None:
        contact = a_contact(ASSOCIATION, created_at=at(3).astimezone(SAO_PAULO))
        unresolved = a_contact(
            ASSOCIATION,
            wa_chat_id="123456789@lid",
            phone=None,
            lid="123456789@lid",
            display_name="",
            kind=ContactKind.LEAD,
            patient_id=None,
            fields={},
        )
        async with uow_factory() as uow:
            await uow.contacts.add(contact)
            await uow.contacts.add(unresolved)
            await uow.commit()
        async with uow_factory() as uow:
            loaded = await uow.contacts.get(ASSOCIATION, contact.id)
            assert loaded == contact
            assert loaded is not None and loaded.created_at.utcoffset() is not None
            assert await uow.contacts.get(ASSOCIATION, unresolved.id) == unresolved
            assert await uow.contacts.get("other-association", contact.id) is None

    async def test_chat_id_is_unique_per_association(self, uow_factory: UowFactory) -> None:
        contact = a_contact(ASSOCIATION)
        async with uow_factory() as uow:
            await uow.contacts.add(contact)
            await uow.contacts.add(a_contact("other-association", wa_chat_id=contact.wa_chat_id))
            await uow.commit()
        async with uow_factory() as uow:
            with pytest.raises(DuplicateKey):
                await uow.contacts.add(a_contact(ASSOCIATION, wa_chat_id=contact.wa_chat_id))

    async def test_lookups(self, uow_factory: UowFactory) -> None:
        contact = a_contact(ASSOCIATION)
        async with uow_factory() as uow:
            await uow.contacts.add(contact)
            await uow.contacts.add(a_contact("other-association", lid=contact.lid))
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.contacts.find_by_chat_id(ASSOCIATION, contact.wa_chat_id) == contact
            assert contact.phone is not None and contact.lid is not None
            assert await uow.contacts.find_by_phone(ASSOCIATION, contact.phone) == contact
            assert await uow.contacts.find_by_lid(ASSOCIATION, contact.lid) == contact
            assert await uow.contacts.find_by_chat_id(ASSOCIATION, "x@c.us") is None
            assert await uow.contacts.find_by_phone(ASSOCIATION, "+1") is None
            assert await uow.contacts.find_by_lid(ASSOCIATION, "1@lid") is None

    async def test_a_shared_phone_finds_the_oldest_contact(self, uow_factory: UowFactory) -> None:
        newer = a_contact(ASSOCIATION, phone="+5511", created_at=at(10))
        older = a_contact(ASSOCIATION, phone="+5511", created_at=at(1))
        async with uow_factory() as uow:
            await uow.contacts.add(newer)
            await uow.contacts.add(older)
            assert await uow.contacts.find_by_phone(ASSOCIATION, "+5511") == older

    async def test_update_resolves_a_lid(self, uow_factory: UowFactory) -> None:
        contact = a_contact(ASSOCIATION, phone=None, kind=ContactKind.LEAD, patient_id=None)
        async with uow_factory() as uow:
            await uow.contacts.add(contact)
            await uow.commit()
        contact.phone, contact.display_name, contact.fields = "+5511977776666", "Zé", {"a": 1}
        contact.kind, contact.patient_id = ContactKind.MEMBER, "p-1"
        async with uow_factory() as uow:
            await uow.contacts.update(contact)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.contacts.find_by_phone(ASSOCIATION, "+5511977776666") == contact
            assert await uow.contacts.list_by_patient(ASSOCIATION, "p-1") == [contact]

    async def test_changes_to_a_loaded_contact_need_update(self, uow_factory: UowFactory) -> None:
        contact = a_contact(ASSOCIATION)
        async with uow_factory() as uow:
            await uow.contacts.add(contact)
            loaded = await uow.contacts.get(ASSOCIATION, contact.id)
            assert loaded is not None
            loaded.display_name = "changed without update"
            loaded.fields["x"] = 1
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.contacts.get(ASSOCIATION, contact.id) == contact

    async def test_list_by_patient_is_oldest_first(self, uow_factory: UowFactory) -> None:
        second = a_contact(ASSOCIATION, patient_id="p-7", created_at=at(2))
        first = a_contact(ASSOCIATION, patient_id="p-7", created_at=at(1))
        async with uow_factory() as uow:
            for contact in (second, first, a_contact(ASSOCIATION, patient_id="p-8")):
                await uow.contacts.add(contact)
            assert await uow.contacts.list_by_patient(ASSOCIATION, "p-7") == [first, second]
