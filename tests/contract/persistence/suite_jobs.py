"""The job queue (schedule, debounce, claim, lease, complete, fail, dead letters) and the
processed-event log."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from wa_crm.domain.model.jobs import Job, JobStatus, NewJob
from wa_crm.ports.queries import Queries

from .base import PersistenceContract, UowFactory
from .builders import T0, a_job, at

KINDS = ("bot_turn", "deliver")
LEASE = 30  # seconds


class JobContract(PersistenceContract):
    async def _schedule(self, uow_factory: UowFactory, job: NewJob, now: datetime = T0) -> Job:
        async with uow_factory() as uow:
            scheduled = await uow.jobs.schedule(job, now)
            await uow.commit()
        return scheduled

    async def _claim(
        self,
        uow_factory: UowFactory,
        now: datetime,
        worker: str = "worker-1",
        kinds: Sequence[str] = KINDS,
        limit: int = 10,
    ) -> Sequence[Job]:
        async with uow_factory() as uow:
            lease_until = now + timedelta(seconds=LEASE)
            claimed = await uow.jobs.claim_due(now, worker, lease_until, kinds, limit)
            await uow.commit()
        return claimed

    async def _get(self, uow_factory: UowFactory, job_id: str) -> Job:
        async with uow_factory() as uow:
            job = await uow.jobs.get(job_id)
        assert job is not None
        return job

    async def test_schedule_inserts_a_pending_job(self, uow_factory: UowFactory) -> None:
        new = a_job(run_after=at(3))
        job = await self._schedule(uow_factory, new, now=at(1))
        assert (job.kind, job.key, job.payload, job.run_after) == (
            new.kind,
            new.key,
            new.payload,
            new.run_after,
        )
        assert (job.status, job.attempts, job.max_attempts, job.version) == ("pending", 0, 3, 1)
        assert (job.association_id, job.created_at, job.last_error) == ("assoc-1", at(1), None)
        assert (job.locked_by, job.locked_until) == (None, None)
        assert await self._get(uow_factory, job.id) == job
        async with uow_factory() as uow:
            assert await uow.jobs.get_by_key(new.key) == job
            assert await uow.jobs.get("unknown") is None
            assert await uow.jobs.get_by_key("unknown") is None

    async def test_rescheduling_debounces(self, uow_factory: UowFactory) -> None:
        first = await self._schedule(uow_factory, a_job(key="turn:c1", run_after=at(3)))
        again = await self._schedule(
            uow_factory,
            a_job(key="turn:c1", run_after=at(5), payload={"conversation_id": "c1", "n": 2}),
            now=at(2),
        )
        assert again.id == first.id
        assert (again.run_after, again.payload, again.version) == (
            at(5),
            {"conversation_id": "c1", "n": 2},
            2,
        )
        assert again.created_at == first.created_at
        assert await self._claim(uow_factory, now=at(4)) == []  # not due any more
        assert [job.id for job in await self._claim(uow_factory, now=at(5))] == [first.id]

    async def test_racing_schedules_of_one_key_make_one_job(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        async def schedule(second: int) -> Job:
            async with uow_factory() as uow:
                job = await uow.jobs.schedule(a_job(key="turn:race", run_after=at(second)), T0)
                await asyncio.sleep(0)
                await uow.commit()
                return job

        jobs = await asyncio.gather(*(schedule(second) for second in range(6)))
        assert len({job.id for job in jobs}) == 1
        assert sorted(job.version for job in jobs) == [1, 2, 3, 4, 5, 6]
        assert (await queries.monitoring.job_counts())["pending"] == 1

    async def test_claim_takes_due_jobs_of_its_kinds_in_order(
        self, uow_factory: UowFactory
    ) -> None:
        later = await self._schedule(uow_factory, a_job(run_after=at(2), kind="deliver"))
        sooner = await self._schedule(uow_factory, a_job(run_after=at(1)))
        await self._schedule(uow_factory, a_job(run_after=at(60)))  # not yet due
        await self._schedule(uow_factory, a_job(run_after=at(0), kind="media"))  # another kind
        claimed = await self._claim(uow_factory, now=at(10))
        assert [job.id for job in claimed] == [sooner.id, later.id]
        for job in claimed:
            assert (job.status, job.attempts, job.locked_by) == ("running", 1, "worker-1")
            assert job.locked_until == at(LEASE + 10)
            assert await self._get(uow_factory, job.id) == job
        assert await self._claim(uow_factory, now=at(11), worker="worker-2") == []

    async def test_claim_respects_limit_and_empty_kinds(self, uow_factory: UowFactory) -> None:
        for second in range(5):
            await self._schedule(uow_factory, a_job(run_after=at(second)))
        assert await self._claim(uow_factory, now=at(10), kinds=()) == []
        first = await self._claim(uow_factory, now=at(10), limit=2)
        rest = await self._claim(uow_factory, now=at(10), limit=10)
        assert [job.run_after for job in first] == [at(0), at(1)]
        assert [job.run_after for job in rest] == [at(2), at(3), at(4)]

    async def test_complete_marks_done(self, uow_factory: UowFactory) -> None:
        job = await self._schedule(uow_factory, a_job())
        (claimed,) = await self._claim(uow_factory, now=at(1))
        async with uow_factory() as uow:
            await uow.jobs.complete(job.id, claimed.version, "worker-1", at(2))
            await uow.commit()
        done = await self._get(uow_factory, job.id)
        assert (done.status, done.attempts, done.locked_by, done.locked_until) == (
            "done",
            1,
            None,
            None,
        )
        assert await self._claim(uow_factory, now=at(100)) == []

    async def test_only_the_holder_completes_or_extends(self, uow_factory: UowFactory) -> None:
        job = await self._schedule(uow_factory, a_job())
        await self._claim(uow_factory, now=at(1))
        async with uow_factory() as uow:
            await uow.jobs.complete(job.id, 1, "intruder", at(2))
            await uow.jobs.fail(job.id, 1, "intruder", "boom", None, at(2))
            assert await uow.jobs.extend_lease(job.id, "intruder", at(500)) is False
            assert await uow.jobs.extend_lease(job.id, "worker-1", at(90)) is True
            await uow.commit()
        held = await self._get(uow_factory, job.id)
        assert (held.status, held.locked_by, held.locked_until) == ("running", "worker-1", at(90))
        async with uow_factory() as uow:
            await uow.jobs.complete(job.id, 1, "worker-1", at(3))
            assert await uow.jobs.extend_lease(job.id, "worker-1", at(95)) is False  # not held
            await uow.commit()

    async def test_rescheduling_a_running_job_leaves_it_pending_after_completion(
        self, uow_factory: UowFactory
    ) -> None:
        job = await self._schedule(uow_factory, a_job(key="turn:c2"))
        (claimed,) = await self._claim(uow_factory, now=at(1))
        newer = await self._schedule(uow_factory, a_job(key="turn:c2", run_after=at(4)), at(2))
        assert (newer.status, newer.locked_by, newer.attempts, newer.version) == (
            "running",
            "worker-1",
            1,
            2,
        )
        async with uow_factory() as uow:
            await uow.jobs.complete(job.id, claimed.version, "worker-1", at(3))
            await uow.commit()
        pending = await self._get(uow_factory, job.id)
        assert (pending.status, pending.run_after, pending.version) == ("pending", at(4), 2)
        assert (pending.attempts, pending.locked_by) == (0, None)
        (reclaimed,) = await self._claim(uow_factory, now=at(4))
        async with uow_factory() as uow:
            await uow.jobs.complete(job.id, reclaimed.version, "worker-1", at(5))
            await uow.commit()
        assert (await self._get(uow_factory, job.id)).status == "done"

    async def test_fail_with_retry_at_reschedules(self, uow_factory: UowFactory) -> None:
        job = await self._schedule(uow_factory, a_job())
        await self._claim(uow_factory, now=at(1))
        async with uow_factory() as uow:
            await uow.jobs.fail(job.id, 1, "worker-1", "timeout", at(8), at(2))
            await uow.commit()
        failed = await self._get(uow_factory, job.id)
        assert (failed.status, failed.run_after, failed.attempts) == ("pending", at(8), 1)
        assert (failed.last_error, failed.locked_by, failed.locked_until) == ("timeout", None, None)
        assert await self._claim(uow_factory, now=at(7)) == []
        (again,) = await self._claim(uow_factory, now=at(8))
        assert again.attempts == 2

    async def test_fail_without_retry_is_a_dead_letter_until_retried(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        job = await self._schedule(uow_factory, a_job(association_id="assoc-a"))
        other = await self._schedule(uow_factory, a_job(association_id="assoc-b"))
        for claimed in await self._claim(uow_factory, now=at(1)):
            async with uow_factory() as uow:
                await uow.jobs.fail(claimed.id, 1, "worker-1", "HTTP 400", None, at(2))
                await uow.commit()
        dead = await queries.monitoring.dead_jobs("assoc-a", limit=10)
        assert [(j.id, j.status, j.last_error) for j in dead] == [(job.id, "dead", "HTTP 400")]
        assert {j.id for j in await queries.monitoring.dead_jobs(None, limit=10)} == {
            job.id,
            other.id,
        }
        assert len(await queries.monitoring.dead_jobs(None, limit=1)) == 1
        assert await queries.monitoring.job_counts() == {
            "pending": 0,
            "running": 0,
            "done": 0,
            "dead": 2,
        }
        async with uow_factory() as uow:
            revived = await uow.jobs.retry(job.id, at(3))
            assert revived is not None
            assert (revived.status, revived.attempts, revived.run_after) == ("pending", 0, at(3))
            assert await uow.jobs.retry(job.id, at(3)) is None  # no longer dead
            assert await uow.jobs.retry("unknown", at(3)) is None
            await uow.commit()
        assert [j.id for j in await self._claim(uow_factory, now=at(3))] == [job.id]

    async def test_fail_of_a_rescheduled_job_keeps_the_new_work(
        self, uow_factory: UowFactory
    ) -> None:
        job = await self._schedule(uow_factory, a_job(key="turn:c3"))
        await self._claim(uow_factory, now=at(1))
        await self._schedule(uow_factory, a_job(key="turn:c3", run_after=at(6)), at(2))
        async with uow_factory() as uow:
            await uow.jobs.fail(job.id, 1, "worker-1", "ai down", None, at(3))
            await uow.commit()
        kept = await self._get(uow_factory, job.id)
        assert (kept.status, kept.run_after, kept.attempts, kept.version) == (
            "pending",
            at(6),
            0,
            2,
        )

    async def test_scheduling_a_finished_job_starts_it_over(self, uow_factory: UowFactory) -> None:
        job = await self._schedule(uow_factory, a_job(key="media:m1"))
        await self._claim(uow_factory, now=at(1))
        async with uow_factory() as uow:
            await uow.jobs.fail(job.id, 1, "worker-1", "gone", None, at(2))
            await uow.commit()
        again = await self._schedule(uow_factory, a_job(key="media:m1", run_after=at(9)), at(3))
        assert (again.id, again.status, again.attempts, again.version) == (job.id, "pending", 0, 2)
        assert (again.run_after, again.last_error) == (at(9), None)

    async def test_an_expired_lease_lets_another_worker_claim(
        self, uow_factory: UowFactory
    ) -> None:
        job = await self._schedule(uow_factory, a_job())
        (first,) = await self._claim(uow_factory, now=at(1), worker="killed")
        assert await self._claim(uow_factory, now=at(LEASE), worker="worker-2") == []
        (second,) = await self._claim(uow_factory, now=at(LEASE + 2), worker="worker-2")
        assert (second.id, second.locked_by, second.attempts) == (job.id, "worker-2", 2)
        async with uow_factory() as uow:
            await uow.jobs.complete(job.id, first.version, "killed", at(LEASE + 3))  # too late
            assert await uow.jobs.extend_lease(job.id, "killed", at(999)) is False
            await uow.commit()
        assert (await self._get(uow_factory, job.id)).locked_by == "worker-2"
        async with uow_factory() as uow:
            await uow.jobs.complete(job.id, second.version, "worker-2", at(LEASE + 4))
            await uow.commit()
        assert (await self._get(uow_factory, job.id)).status == JobStatus.DONE

    async def test_concurrent_claimers_never_share_a_job(self, uow_factory: UowFactory) -> None:
        async with uow_factory() as uow:
            for second in range(40):
                await uow.jobs.schedule(a_job(run_after=at(second % 7)), T0)
            await uow.commit()
        claims: Counter[str] = Counter()

        async def worker(name: str) -> None:
            while claimed := await self._claim(uow_factory, now=at(10), worker=name, limit=3):
                claims.update(job.id for job in claimed)
                await asyncio.sleep(0)

        await asyncio.gather(*(worker(f"worker-{n}") for n in range(5)))
        assert len(claims) == 40
        assert set(claims.values()) == {1}


class ProcessedEventContract(PersistenceContract):
    async def test_remember_is_true_once(self, uow_factory: UowFactory) -> None:
        async with uow_factory() as uow:
            assert await uow.processed_events.remember("assoc-1", "evt-1", T0) is True
            assert await uow.processed_events.remember("assoc-1", "evt-1", at(1)) is False
            assert await uow.processed_events.remember("assoc-2", "evt-1", T0) is True
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.processed_events.remember("assoc-1", "evt-1", at(2)) is False

    async def test_forgotten_when_rolled_back(self, uow_factory: UowFactory) -> None:
        async with uow_factory() as uow:
            assert await uow.processed_events.remember("assoc-1", "evt-2", T0) is True
        async with uow_factory() as uow:
            assert await uow.processed_events.remember("assoc-1", "evt-2", T0) is True

    async def test_racing_deliveries_process_once(self, uow_factory: UowFactory) -> None:
        async def deliver() -> bool:
            async with uow_factory() as uow:
                first = await uow.processed_events.remember("assoc-1", "evt-race", T0)
                await asyncio.sleep(0)
                await uow.commit()
                return first

        results = await asyncio.gather(*(deliver() for _ in range(8)))
        assert sorted(results) == [False] * 7 + [True]

    async def test_forget_before_forgets_the_oldest_first_across_associations(
        self, uow_factory: UowFactory
    ) -> None:
        async with uow_factory() as uow:
            for seconds, association_id, event_id in [
                (3, "assoc-1", "evt-c"),
                (1, "assoc-2", "evt-a"),
                (2, "assoc-1", "evt-b"),
                (10, "assoc-1", "evt-recent"),
            ]:
                await uow.processed_events.remember(association_id, event_id, at(seconds))
            await uow.commit()

        async with uow_factory() as uow:
            assert await uow.processed_events.forget_before(at(10), limit=2) == 2
            await uow.commit()
        async with uow_factory() as uow:  # forgotten ids are new again, the others are not
            assert await uow.processed_events.remember("assoc-2", "evt-a", at(20)) is True
            assert await uow.processed_events.remember("assoc-1", "evt-b", at(20)) is True
            assert await uow.processed_events.remember("assoc-1", "evt-c", at(20)) is False

        async with uow_factory() as uow:
            assert await uow.processed_events.forget_before(at(10), limit=2) == 1
            assert await uow.processed_events.forget_before(at(10), limit=2) == 0
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.processed_events.remember("assoc-1", "evt-c", at(20)) is True
            assert await uow.processed_events.remember("assoc-1", "evt-recent", at(20)) is False

    async def test_forget_before_is_undone_by_a_rollback(self, uow_factory: UowFactory) -> None:
        async with uow_factory() as uow:
            await uow.processed_events.remember("assoc-1", "evt-kept", T0)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.processed_events.forget_before(at(1), limit=10) == 1
        async with uow_factory() as uow:
            assert await uow.processed_events.remember("assoc-1", "evt-kept", at(2)) is False
