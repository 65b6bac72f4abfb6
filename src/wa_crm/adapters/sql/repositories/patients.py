"""Patients (the member registry), their phones and their orders.

Statements are built once with bind parameters (see ``execution``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Executable, RowMapping, Table, bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import orders, patient_phones, patients
from wa_crm.domain.model.people import Order, Patient

_IN_ASSOCIATION = patients.c.association_id == bindparam("association_id")
_PATIENT = select(patients).where(_IN_ASSOCIATION, patients.c.id == bindparam("patient_id"))
_OWNERS_OF_PHONE = select(patient_phones.c.patient_id).where(
    patient_phones.c.association_id == bindparam("association_id"),
    patient_phones.c.phone == bindparam("phone"),
)
_PATIENTS_BY_PHONE = (
    select(patients)
    .where(_IN_ASSOCIATION, patients.c.id.in_(_OWNERS_OF_PHONE))
    .order_by(patients.c.id)
)
_OF_PATIENT = (
    patient_phones.c.association_id == bindparam("association_id"),
    patient_phones.c.patient_id == bindparam("patient_id"),
)
_PHONES = select(patient_phones.c.phone).where(*_OF_PATIENT).order_by(patient_phones.c.position)
_DELETE_PHONES = delete(patient_phones).where(*_OF_PATIENT)
_ADD_PHONES = insert(patient_phones)
_ORDERS = (
    select(orders)
    .where(
        orders.c.association_id == bindparam("association_id"),
        orders.c.patient_id == bindparam("patient_id"),
    )
    .order_by(orders.c.date.desc(), orders.c.id.desc())
)
# Children first: the phones' foreign key would refuse the patient's deletion otherwise.
_DELETE_PATIENT = [
    delete(table).where(
        table.c.association_id == bindparam("association_id"),
        patient_id == bindparam("patient_id"),
    )
    for table, patient_id in (
        (orders, orders.c.patient_id),
        (patient_phones, patient_phones.c.patient_id),
        (patients, patients.c.id),
    )
]


def _upsert(dialect: str, table: Table, columns: Sequence[str]) -> Executable:
    """Insert the row, or overwrite ``columns`` of the row with the same key."""
    insert = upsert_insert(dialect, table)
    return insert.on_conflict_do_update(
        index_elements=["association_id", "id"],
        set_={name: insert.excluded[name] for name in columns},
    )


@per_dialect
def _upsert_patient(dialect: str) -> Executable:
    return _upsert(dialect, patients, ["full_name", "status", "profile", "search_name"])


@per_dialect
def _upsert_order(dialect: str) -> Executable:
    return _upsert(dialect, orders, ["patient_id", "date", "items", "total", "status"])


class SqlPatientRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def upsert(self, patient: Patient) -> None:
        key = {"association_id": patient.association_id, "patient_id": patient.id}
        row = {"association_id": patient.association_id, "id": patient.id}
        row |= mappers.patient_values(patient)
        await execute(self._connection, _upsert_patient(self._connection), row)
        await execute(self._connection, _DELETE_PHONES, key)
        phones = list(dict.fromkeys(patient.phones))  # drop repeats, keep the order
        if phones:
            await execute(
                self._connection,
                _ADD_PHONES,
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
        parameters = {"association_id": association_id, "patient_id": patient_id}
        result = await execute(self._connection, _PATIENT, parameters)
        row = result.mappings().first()
        return None if row is None else await self._load(row)

    async def find_by_phone(self, association_id: str, phone: str) -> Sequence[Patient]:
        parameters = {"association_id": association_id, "phone": phone}
        result = await execute(self._connection, _PATIENTS_BY_PHONE, parameters)
        return [await self._load(row) for row in result.mappings().all()]

    async def add_order(self, association_id: str, patient_id: str, order: Order) -> None:
        row = {
            "association_id": association_id,
            "id": order.id,
            "patient_id": patient_id,
            "date": order.date,
            "items": order.items,
            "total": order.total,
            "status": order.status,
        }
        await execute(self._connection, _upsert_order(self._connection), row)

    async def delete(self, association_id: str, patient_id: str) -> None:
        parameters = {"association_id": association_id, "patient_id": patient_id}
        for statement in _DELETE_PATIENT:
            await execute(self._connection, statement, parameters)

    async def _load(self, row: RowMapping) -> Patient:
        key = {"association_id": row["association_id"], "patient_id": row["id"]}
        phones = await execute(self._connection, _PHONES, key)
        history = await execute(self._connection, _ORDERS, key)
        return mappers.patient_from_row(
            row,
            phones=tuple(phones.scalars()),
            orders=tuple(mappers.order_from_row(order) for order in history.mappings()),
        )
