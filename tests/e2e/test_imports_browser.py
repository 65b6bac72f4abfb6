"""The monitoring page's imports card, in a real browser (headless Chromium through Playwright):
an admin sees each import's status, rows read, imported and bad rows, and the first bad rows.
The browser and service fixtures are the admin pages' tests'; they skip without Chromium, except
under ``CI=true``, where they fail."""

from __future__ import annotations

from typing import Any

from tests.e2e import test_admin_pages_browser as admin_pages
from tests.e2e.harness import Service

browser = admin_pages.browser
page = admin_pages.page
service = admin_pages.service

PATIENTS = "id,full_name,phone,status\np1,Maria Souza,+5511999998888,active\np2,,+5511977,active\n"
ORDERS = "patient_id,order_id,date,items,total,status\np1,o1,2026-01-02,Oleo,10,delivered\n"


async def test_an_admin_sees_the_progress_of_imports(page: Any, service: Service) -> None:
    from playwright.async_api import expect

    (await service.container.import_patients()("e2e", PATIENTS)).unwrap()
    (await service.container.import_orders()("e2e", ORDERS)).unwrap()

    await admin_pages.sign_in(page, service, "monitoring")

    rows = page.locator("#imports tr")
    await expect(rows).to_have_count(2)
    patients = rows.filter(has_text="Patients")
    await expect(patients).to_contain_text("Done")
    await expect(patients.locator("td.num")).to_have_text(["2", "1", "1"])
    await patients.locator("summary").click()
    await expect(patients).to_contain_text("line 3: full_name is empty")
    orders = rows.filter(has_text="Orders")
    await expect(orders.locator("td.num")).to_have_text(["1", "1", "0"])
    await expect(orders.locator("summary")).to_have_count(0)
