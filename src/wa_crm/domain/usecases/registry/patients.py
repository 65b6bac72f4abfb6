"""The rows of the association's member registry (patients and their orders) in CSV files.

- Patients: header ``id,full_name,phone,status``; ``phone`` may hold several numbers separated
  by ``;``; any other column is kept as a profile field. Orders: header
  ``patient_id,order_id,date,items,total,status``.
- A bad row is refused with its reason and the others are stored; how a whole file is worked
  through is the import's business (``imports``).
- A contact whose number an imported patient owns becomes a member or a lead accordingly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from returns.result import Failure, Result, Success

from wa_crm.domain.model.imports import ImportKind
from wa_crm.domain.model.people import Order, Patient, PatientStatus
from wa_crm.domain.model.phone import Phone
from wa_crm.ports.unit_of_work import UnitOfWork

PATIENT_COLUMNS = ("id", "full_name", "phone", "status")
ORDER_COLUMNS = ("patient_id", "order_id", "date", "items", "total", "status")


def parse_patient(association_id: str, row: dict[str, str]) -> Result[Patient, str]:
    if not row["id"]:
        return Failure("id is empty")
    if not row["full_name"]:
        return Failure("full_name is empty")
    try:
        status = PatientStatus(row["status"].lower() or PatientStatus.ACTIVE)
    except ValueError:
        return Failure(f"status {row['status']!r} is not one of active, inactive, pending")
    phones: list[str] = []
    for raw in filter(None, (part.strip() for part in row["phone"].split(";"))):
        match Phone.parse(raw):
            case Success(phone):
                phones.append(phone.e164)
            case Failure(error):
                return Failure(f"phone: {error.message}")
    if not phones:
        return Failure("phone is empty")
    profile = {key: value for key, value in row.items() if key not in PATIENT_COLUMNS}
    return Success(
        Patient(
            id=row["id"],
            association_id=association_id,
            full_name=row["full_name"],
            phones=tuple(dict.fromkeys(phones)),
            status=status,
            profile=profile,
        )
    )


def parse_order(row: dict[str, str]) -> Result[tuple[str, Order], str]:
    for column in ("patient_id", "order_id", "date"):
        if not row[column]:
            return Failure(f"{column} is empty")
    try:
        when = date.fromisoformat(row["date"])
    except ValueError:
        return Failure(f"date {row['date']!r} is not YYYY-MM-DD")
    try:
        total = Decimal(row["total"].replace(",", ".") or "0")
    except InvalidOperation:
        return Failure(f"total {row['total']!r} is not a number")
    if not total.is_finite():
        return Failure(f"total {row['total']!r} is not a number")
    order = Order(
        row["order_id"], when, row["items"], total.quantize(Decimal("0.01")), row["status"]
    )
    return Success((row["patient_id"], order))


async def _refresh_contacts(uow: UnitOfWork, patient: Patient) -> None:
    for phone in patient.phones:
        contact = await uow.contacts.find_by_phone(patient.association_id, phone)
        if contact is not None:
            contact.match_patient(patient)
            await uow.contacts.update(contact)


RowImporter = Callable[[UnitOfWork, str, dict[str, str]], Awaitable[str | None]]
"""Stores one row for an association; returns why it could not, or None."""


async def _store_patient(uow: UnitOfWork, association_id: str, row: dict[str, str]) -> str | None:
    match parse_patient(association_id, row):
        case Success(patient):
            await uow.patients.upsert(patient)
            await _refresh_contacts(uow, patient)
            return None
        case Failure(reason):
            return str(reason)
    raise AssertionError("unreachable")


async def _store_order(uow: UnitOfWork, association_id: str, row: dict[str, str]) -> str | None:
    match parse_order(row):
        case Success((patient_id, order)):
            if await uow.patients.get(association_id, patient_id) is None:
                return f"no patient {patient_id!r}"
            await uow.patients.add_order(association_id, patient_id, order)
            return None
        case Failure(reason):
            return str(reason)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class RegistryFile:
    """What one kind of registry file needs in its header, and how each of its rows is stored."""

    columns: tuple[str, ...]
    store: RowImporter


REGISTRY_FILES = {
    ImportKind.PATIENTS: RegistryFile(PATIENT_COLUMNS, _store_patient),
    ImportKind.ORDERS: RegistryFile(ORDER_COLUMNS, _store_order),
}
