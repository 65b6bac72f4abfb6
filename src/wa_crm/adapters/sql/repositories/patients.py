"""Patients (the member registry), their phones and their orders."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import RowMapping, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute, upsert_insert
from wa_crm.adapters.sql.tables import orders, patient_phones, patients
from wa_crm.domain.model.people import Order, Patient


class SqlPatientRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def upsert(self, patient: Patient) -> None:
        values = mappers.patient_values(patient)
        statement = upsert_insert(self._connection, patients).values(
            association_id=patient.association_id, id=patient.id, **values
        )
        await execute(
            self._connection,
            statement.on_conflict_do_update(index_elements=["association_id", "id"], set_=values),
        )
        await execute(
            self._connection,
            delete(patient_phones).where(
                patient_phones.c.association_id == patient.association_id,
                patient_phones.c.patient_id == patient.id,
            ),
        )
        phones = list(dict.fromkeys(patient.phones))  # drop repeats, keep the order
        if phones:
            await execute(
                self._connection,
                insert(patient_phones),
                [
                    {
                        "association_id": patient.association_id,
                        "patient_id": patient.id,
                        "phone": phone,
                        "position": position,
                    }
                    for position, phone in enumerate(phones)
                ],
            )

    async def get(self, association_id: str, patient_id: str) -> Patient | None:
        result = await execute(
            self._connection,
            select(patients).where(
                patients.c.association_id == association_id, patients.c.id == patient_id
            ),
        )
        row = result.mappings().first()
        return None if row is None else await self._load(row)

    async def find_by_phone(self, association_id: str, phone: str) -> Sequence[Patient]:
        owners = select(patient_phones.c.patient_id).where(
            patient_phones.c.association_id == association_id, patient_phones.c.phone == phone
        )
        result = await execute(
            self._connection,
            select(patients)
            .where(patients.c.association_id == association_id, patients.c.id.in_(owners))
            .order_by(patients.c.id),
        )
        return [await self._load(row) for row in result.mappings().all()]

    async def add_order(self, association_id: str, patient_id: str, order: Order) -> None:
        values = {
            "patient_id": patient_id,
            "date": order.date,
            "items": order.items,
            "total": order.total,
            "status": order.status,
        }
        statement = upsert_insert(self._connection, orders).values(
            association_id=association_id, id=order.id, **values
        )
        await execute(
            self._connection,
            statement.on_conflict_do_update(index_elements=["association_id", "id"], set_=values),
        )

    async def _load(self, row: RowMapping) -> Patient:
        key = (row["association_id"], row["id"])
        phones = await execute(
            self._connection,
            select(patient_phones.c.phone)
            .where(patient_phones.c.association_id == key[0], patient_phones.c.patient_id == key[1])
            .order_by(patient_phones.c.position),
        )
        history = await execute(
            self._connection,
            select(orders)
            .where(orders.c.association_id == key[0], orders.c.patient_id == key[1])
            .order_by(orders.c.date.desc(), orders.c.id.desc()),
        )
        return mappers.patient_from_row(
            row,
            phones=tuple(phones.scalars()),
            orders=tuple(mappers.order_from_row(order) for order in history.mappings()),
        )
