"""Patients, their phones and orders in memory."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence

from wa_crm.adapters.memory.store import StoredOrder, Workspace
from wa_crm.domain.model.people import Order, Patient


class InMemoryPatientRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def upsert(self, patient: Patient) -> None:
        phones = tuple(dict.fromkeys(patient.phones))  # drop repeats, keep the order
        stored = dataclasses.replace(patient, phones=phones, orders=())
        self._workspace.tables.patients[(patient.association_id, patient.id)] = copy.deepcopy(
            stored
        )

    async def get(self, association_id: str, patient_id: str) -> Patient | None:
        patient = self._workspace.tables.patients.get((association_id, patient_id))
        return None if patient is None else self._with_orders(patient)

    async def find_by_phone(self, association_id: str, phone: str) -> Sequence[Patient]:
        owners = [
            patient
            for (association, _), patient in self._workspace.tables.patients.items()
            if association == association_id and phone in patient.phones
        ]
        return [self._with_orders(patient) for patient in sorted(owners, key=lambda p: p.id)]

    async def add_order(self, association_id: str, patient_id: str, order: Order) -> None:
        self._workspace.tables.orders[(association_id, order.id)] = StoredOrder(patient_id, order)

    async def delete(self, association_id: str, patient_id: str) -> None:
        tables = self._workspace.tables
        tables.patients.pop((association_id, patient_id), None)
        tables.orders = {
            key: stored
            for key, stored in tables.orders.items()
            if key[0] != association_id or stored.patient_id != patient_id
        }

    def _with_orders(self, patient: Patient) -> Patient:
        orders = [
            stored.order
            for (association, _), stored in self._workspace.tables.orders.items()
            if association == patient.association_id and stored.patient_id == patient.id
        ]
        newest_first = sorted(orders, key=lambda order: (order.date, order.id), reverse=True)
        return dataclasses.replace(
            patient, profile=copy.deepcopy(patient.profile), orders=tuple(newest_first)
        )
