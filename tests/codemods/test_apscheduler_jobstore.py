"""APSchedulerJobstoreCodemod: the memory job store (explicit or default) switches to Redis."""

# ruff: noqa: E501 -- the expected target code is quoted as the codemod writes it.

from libcst.codemod import CodemodTest
from migrator.codemods.apscheduler_jobstore import APSchedulerJobstoreCodemod


class APSchedulerJobstoreTest(CodemodTest):
    TRANSFORM = APSchedulerJobstoreCodemod

    def rewrites(self, before: str, after: str) -> None:
        self.assertCodemod(before, after)
        self.assertCodemod(after, after, expected_warnings=[])

    def test_scheduler_with_a_persistent_store_is_unchanged(self) -> None:
        source = """
            from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
            from apscheduler.schedulers.background import BackgroundScheduler

            scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=DB)})
        """
        self.assertCodemod(source, source, expected_warnings=[])

    def test_default_store_is_made_explicit_and_switched(self) -> None:
        self.rewrites(
            """
            from apscheduler.schedulers.background import BackgroundScheduler

            scheduler = BackgroundScheduler(timezone="UTC")
            """,
            """
            from apscheduler.schedulers.background import BackgroundScheduler
            import os
            import redis
            from apscheduler.jobstores.memory import MemoryJobStore
            from apscheduler.jobstores.redis import RedisJobStore

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _jobstores_on_redis = (
                os.environ.get("STATELESS_JOBSTORES", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            scheduler = BackgroundScheduler(timezone="UTC", jobstores={"default": (
                RedisJobStore(connection_pool=redis.ConnectionPool.from_url(os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")))
                if _jobstores_on_redis
                else MemoryJobStore()
            )})
            """,
        )

    def test_explicit_memory_store(self) -> None:
        self.rewrites(
            """
            from apscheduler.jobstores.memory import MemoryJobStore
            from apscheduler.schedulers.asyncio import AsyncIOScheduler

            jobstores = {
                "default": MemoryJobStore(),
            }
            scheduler = AsyncIOScheduler(jobstores=jobstores)
            """,
            """
            from apscheduler.jobstores.memory import MemoryJobStore
            from apscheduler.schedulers.asyncio import AsyncIOScheduler
            import os
            import redis
            from apscheduler.jobstores.redis import RedisJobStore

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _jobstores_on_redis = (
                os.environ.get("STATELESS_JOBSTORES", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            jobstores = {
                "default": (
                    RedisJobStore(connection_pool=redis.ConnectionPool.from_url(os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")))
                    if _jobstores_on_redis
                    else MemoryJobStore()
                ),
            }
            scheduler = AsyncIOScheduler(jobstores=jobstores)
            """,
        )

    def test_hidden_settings_and_memory_alias_are_refused(self) -> None:
        source = """
            from apscheduler.schedulers.background import BackgroundScheduler

            scheduler = BackgroundScheduler(SETTINGS)
            scheduler.add_jobstore("memory")
        """
        self.assertCodemod(
            source,
            source,
            expected_warnings=[
                "line 3: left unchanged: the scheduler's settings come from `gconfig` or "
                "`**options`.",
                'line 4: left unchanged: `add_jobstore("memory")`: pass `MemoryJobStore()` '
                "instead.",
            ],
        )
