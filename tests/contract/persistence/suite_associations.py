"""Associations and agents."""

from __future__ import annotations

import dataclasses

import pytest

from wa_crm.domain.model.association import Association, BotSettings, WhatsAppSettings
from wa_crm.domain.model.credentials import ApiToken, BrowserSession
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

    async def test_one_waha_server_spelled_two_ways_is_one_server(
        self, uow_factory: UowFactory
    ) -> None:
        first = an_association(
            whatsapp=WhatsAppSettings(base_url="http://127.0.0.1:3100", session="clinic")
        )
        await _add(uow_factory, first)
        for spelling in ("http://localhost:3100/", "HTTP://[::1]:3100"):
            respelled = dataclasses.replace(first.whatsapp, base_url=spelling)
            with pytest.raises(DuplicateKey):
                await _add(uow_factory, an_association(whatsapp=respelled))
        elsewhere = dataclasses.replace(first.whatsapp, base_url="http://localhost:3101")
        await _add(uow_factory, an_association(whatsapp=elsewhere))

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
        first = ApiToken("token-1", agent.id, "ci", at(1), expires_at=at(9))
        second = ApiToken("token-2", agent.id, "", at(2))
        async with uow_factory() as uow:
            await uow.agents.add(agent)
            await uow.agents.add_token("hash-1", first)
            await uow.agents.add_token("hash-2", second)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.agents.find_by_token("hash-1") == (agent, first)
            assert await uow.agents.find_by_token("hash-2") == (agent, second)
            assert await uow.agents.find_by_token("unknown") is None
            with pytest.raises(DuplicateKey):
                await uow.agents.add_token("hash-1", ApiToken("token-3", agent.id, "", at(3)))
        async with uow_factory() as uow:
            with pytest.raises(DuplicateKey):
                await uow.agents.add_token("hash-3", ApiToken("token-1", agent.id, "", at(3)))

    async def test_tokens_are_listed_newest_first_used_and_revoked(
        self, uow_factory: UowFactory, association_id: str
    ) -> None:
        ana, bea = an_agent(association_id), an_agent(association_id)
        old, new = ApiToken("old", ana.id, "", at(1)), ApiToken("new", ana.id, "", at(2))
        async with uow_factory() as uow:
            await uow.agents.add(ana)
            await uow.agents.add(bea)
            for digest, token in (("h-old", old), ("h-new", new)):
                await uow.agents.add_token(digest, token)
            await uow.agents.add_token("h-bea", ApiToken("bea", bea.id, "", at(1)))
            await uow.agents.token_used("old", at(5))
            await uow.commit()
        used = dataclasses.replace(old, last_used_at=at(5))
        async with uow_factory() as uow:
            assert await uow.agents.list_tokens(ana.id) == [new, used]
            assert await uow.agents.revoke_token(ana.id, "bea") is False  # not hers
            assert await uow.agents.revoke_token(ana.id, "old") is True
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.agents.find_by_token("h-old") is None
            assert await uow.agents.revoke_tokens(ana.id) == 1
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.agents.list_tokens(ana.id) == []
            assert [t.id for t in await uow.agents.list_tokens(bea.id)] == ["bea"]

    async def test_disabled_at_round_trips(
        self, uow_factory: UowFactory, association_id: str
    ) -> None:
        agent = an_agent(association_id)
        async with uow_factory() as uow:
            await uow.agents.add(agent.disabled(at(3)))
            await uow.commit()
        async with uow_factory() as uow:
            loaded = await uow.agents.get(association_id, agent.id)
            assert loaded is not None and loaded.disabled_at == at(3)
            await uow.agents.update(loaded.enabled())
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.agents.get(association_id, agent.id) == agent

    async def test_browser_sessions_end_one_by_one_per_agent_and_when_expired(
        self, uow_factory: UowFactory, association_id: str
    ) -> None:
        ana, bea = an_agent(association_id), an_agent(association_id)

        def session(id_hash: str, agent_id: str, expires: int) -> BrowserSession:
            return BrowserSession(id_hash, association_id, agent_id, at(0), at(expires))

        sessions = [
            session("a1", ana.id, 10),
            session("a2", ana.id, 10),
            session("a3", ana.id, 2),
            session("b1", bea.id, 1),
            session("b2", bea.id, 10),
        ]
        async with uow_factory() as uow:
            await uow.agents.add(ana)
            await uow.agents.add(bea)
            for each in sessions:
                await uow.agents.add_session(each)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.agents.find_session("a1") == sessions[0]
            assert await uow.agents.find_session("nope") is None
            await uow.agents.end_session("a1")
            await uow.agents.end_session("a1")  # already gone: nothing
            assert await uow.agents.prune_sessions("other-association", at(5)) == 0
            assert await uow.agents.prune_sessions(association_id, at(2)) == 2  # a3, b1
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.agents.find_session("a1") is None
            assert await uow.agents.find_session("a3") is None
            assert await uow.agents.end_sessions(ana.id, keep="a2") == 0
            assert await uow.agents.find_session("a2") == sessions[1]
            assert await uow.agents.end_sessions(bea.id) == 1
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.agents.find_session("b2") is None
            assert await uow.agents.find_session("a2") == sessions[1]
