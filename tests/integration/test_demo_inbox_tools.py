"""The demo association (``make run``) starts with coloured labels and canned replies, so the
inbox's "/" menu and label chips show something on the first run; a second start adds none."""

from __future__ import annotations

from starlette.applications import Starlette

from wa_crm.container import Container
from wa_crm.entrypoints.demo import DEMO_CANNED_REPLIES, DEMO_LABELS, DemoAccounts, seed


async def test_the_demo_seeds_labels_and_canned_replies_once(
    app: Starlette, container: Container
) -> None:
    """``app``: its lifespan closes the container's connections."""
    accounts = DemoAccounts()
    await seed(container, accounts, "http://127.0.0.1:9")
    await seed(container, accounts, "http://127.0.0.1:9")

    async with container.uow_factory()() as uow:
        association = await uow.associations.get_by_slug(accounts.slug)
    assert association is not None
    labels = await container.label_catalog().list(association.id)
    replies = await container.canned_replies().search(association.id, "", 50)
    assert sorted((label.name, label.colour) for label in labels) == sorted(DEMO_LABELS)
    assert sorted(reply.shortcut for reply in replies) == sorted(
        draft.shortcut for draft in DEMO_CANNED_REPLIES
    )
