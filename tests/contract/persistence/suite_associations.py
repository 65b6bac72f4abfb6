"""Associations and agents."""

from __future__ import annotations

import dataclasses

import pytest

from wa_crm.domain.model.association import Association, BotSettings, WhatsAppSettings
from wa_crm.domain.model.people import AgentRole
from wa_crm.ports.unit_of_work import DuplicateKey

from .base import PersistenceContract, UowFactory
from .builders import T0, an_agent, an_association, at


async def _add(uow_factory: UowFactory, *associations: Association) -> None:
    async with uow_factory() as uow:
        for association in associations:
            await uow.associations.add(association)
        await uow.commit()


class AssociationContract(PersistenceContract):
    async def test_round_trip_of_every_setting(self, uow_factory: UowFactory) -> None:
        association = an_association()
        await _add(uow_factory, association)
        async with uow_factory() as uow:
            loaded = await uow.associations.get(association.id)
        assert loaded == association
        assert loaded is not None and loaded.bot.business_hours == association.bot.business_hours
        assert loaded.created_at.tzinfo is not None

    async def test_round_trip_of_defaults(self, uow_factory: UowFactory) -> None:
        association = Association(id="plain", slug="plain", name="Plain", created_at=T0)
        await _add(uow_factory, association)
        async with uow_factory() as uow:
            loaded = await uow.associations.get_by_slug("plain")
        assert loaded == association
        assert loaded is not None and loaded.bot == BotSettings()

    async def test_unknown_ids_are_none(self, uow_factory: UowFactory) -> None:
        async with uow_factory() as uow:
            assert await uow.associations.get("nope") is None
            assert await uow.associations.get_by_slug("nope") is None
            assert await uow.associations.find_by_session("nope") == []

    async def test_slug_is_unique(self, uow_factory: UowFactory) -> None:
        first = an_association()
        await _add(uow_factory, first)
        with pytest.raises(DuplicateKey):
            await _add(uow_factory, an_association(slug=first.slug))

    async def test_id_is_unique(self, uow_factory: UowFactory) -> None:
        first = an_association()
        await _add(uow_factory, first)
        with pytest.raises(DuplicateKey):
            await _add(uow_factory, an_association(id=first.id))

    async def test_a_waha_session_belongs_to_one_association(self, uow_factory: UowFactory) -> None:
        first = an_association()
        await _add(uow_factory, first)
        with pytest.raises(DuplicateKey):
            await _add(uow_factory, an_association(whatsapp=first.whatsapp))

    async def test_sessions_are_found_by_name_across_waha_servers(
        self, uow_factory: UowFactory
    ) -> None:
        settings = WhatsAppSettings(base_url="http://a.test", session="clinic")
        elsewhere = dataclasses.replace(settings, base_url="http://b.test")
        b = an_association(slug="b-assoc", whatsapp=elsewhere)
        a = an_association(slug="a-assoc", whatsapp=settings)
        await _add(uow_factory, b, a, an_association())
        async with uow_factory() as uow:
            assert await uow.associations.find_by_session("clinic") == [a, b]

    async def test_unconfigured_associations_do_not_collide(self, uow_factory: UowFactory) -> None:
        blank = WhatsAppSettings()
        await _add(uow_factory, an_association(whatsapp=blank), an_association(whatsapp=blank))

    async def test_update_replaces_settings_and_secrets(self, uow_factory: UowFactory) -> None:
        association = an_association()
        await _add(uow_factory, association)
        changed = dataclasses.replace(
            association,
            name="Renamed",
            whatsapp=dataclasses.replace(
                association.whatsapp, api_key="rotated", webhook_secret="", phone=None
            ),
            bot=BotSettings(business_hours=None, handoff_keywords=()),
        )
        async with uow_factory() as uow:
            await uow.associations.update(changed)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.associations.get(association.id) == changed

    async def test_update_to_a_taken_slug_is_refused(self, uow_factory: UowFactory) -> None:
        first, second = an_association(), an_association()
        await _add(uow_factory, first, second)
        async with uow_factory() as uow:
            with pytest.raises(DuplicateKey):
                await uow.associations.update(dataclasses.replace(second, slug=first.slug))

    async def test_list_is_ordered_by_slug(self, uow_factory: UowFactory) -> None:
        z, a = an_association(slug="zz"), an_association(slug="aa")
        await _add(uow_factory, z, a)
        async with uow_factory() as uow:
            assert await uow.associations.list() == [a, z]


class AgentContract(PersistenceContract):
    @pytest.fixture
    async def association_id(self, uow_factory: UowFactory) -> str:
        association = an_association()
        await _add(uow_factory, association)
        return association.id

    async def test_round_trip_with_email_lowercased(
        self, uow_factory: UowFactory, association_id: str
    ) -> None:
        agent = an_agent(association_id, email="Ana.Souza@Example.ORG", role=AgentRole.AGENT)
        async with uow_factory() as uow:
            await uow.agents.add(agent)
            await uow.commit()
        expected = dataclasses.replace(agent, email="ana.souza@example.org")
        async with uow_factory() as uow:
            assert await uow.agents.get(association_id, agent.id) == expected
            assert await uow.agents.get_by_email(association_id, "ANA.souza@example.org") == (
                expected
            )
            assert await uow.agents.get("other-association", agent.id) is None
            assert await uow.agents.get_by_email("other-association", agent.email) is None

    async def test_email_is_unique_per_association_ignoring_case(
        self, uow_factory: UowFactory, association_id: str
    ) -> None:
        other = an_association()
        await _add(uow_factory, other)
        async with uow_factory() as uow:
            await uow.agents.add(an_agent(association_id, email="ana@example.org"))
            await uow.agents.add(an_agent(other.id, email="ana@example.org"))
            await uow.commit()
        async with uow_factory() as uow:
            with pytest.raises(DuplicateKey):
                await uow.agents.add(an_agent(association_id, email="ANA@example.org"))

    async def test_update_and_list(self, uow_factory: UowFactory, association_id: str) -> None:
        bea = an_agent(association_id, email="bea@example.org")
        ana = an_agent(association_id, email="ana@example.org")
        async with uow_factory() as uow:
            await uow.agents.add(bea)
            await uow.agents.add(ana)
            await uow.commit()
        promoted = dataclasses.replace(bea, role=AgentRole.AGENT, name="Bea", password_hash="new")
        async with uow_factory() as uow:
            await uow.agents.update(promoted)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.agents.list(association_id) == [ana, promoted]
            assert await uow.agents.list("other-association") == []

    async def test_tokens_find_their_agent(
        self, uow_factory: UowFactory, association_id: str
    ) -> None:
        agent = an_agent(association_id)
        async with uow_factory() as uow:
            await uow.agents.add(agent)
            await uow.agents.add_token(agent.id, "hash-1", at(1))
            await uow.agents.add_token(agent.id, "hash-2", at(2))
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.agents.find_by_token("hash-1") == agent
            assert await uow.agents.find_by_token("hash-2") == agent
            assert await uow.agents.find_by_token("unknown") is None
            with pytest.raises(DuplicateKey):
                await uow.agents.add_token(agent.id, "hash-1", at(3))
