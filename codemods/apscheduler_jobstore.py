"""Switch APScheduler's in-memory job store to its own `RedisJobStore`.

Rewrites `MemoryJobStore()` wherever it is built, and gives a scheduler built without
`jobstores` (whose default store is the memory one) an explicit default store::

    BackgroundScheduler()
    BackgroundScheduler(jobstores={"default": (
        RedisJobStore(connection_pool=redis.ConnectionPool.from_url(...))
        if _jobstores_on_redis
        else MemoryJobStore()
    )})

Jobs then outlive a restart or a deploy. It does not make the scheduler safe to run in several
replicas: APScheduler 3 does not share a job store between schedulers (each would run every
job), so run it in one process only, as the `queue_background` playbook says. `RedisJobStore`
pickles jobs, as APScheduler's own backend does. Refuses a scheduler built from `gconfig` or
`**options` it cannot see, and `add_jobstore("memory")`.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.metadata import ParentNodeProvider, PositionProvider, QualifiedNameProvider

from .framework_backends import REDIS_URL, ConfigSwitchCodemod, insert_after

MEMORY_JOBSTORE = "apscheduler.jobstores.memory.MemoryJobStore"
REDIS_JOBSTORE = f"RedisJobStore(connection_pool=redis.ConnectionPool.from_url({REDIS_URL}))"


class APSchedulerJobstoreCodemod(ConfigSwitchCodemod):
    DESCRIPTION = "Switch APScheduler MemoryJobStore (explicit or default) to RedisJobStore."
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, QualifiedNameProvider)
    FLAG = "JOBSTORES"

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        names = {
            q.name for q in self.get_metadata(QualifiedNameProvider, original_node.func, set())
        }
        if MEMORY_JOBSTORE in names and not self.is_switched(original_node):
            return self._redis_or(updated_node, original_node)
        if any(n.startswith("apscheduler.schedulers.") and n.endswith("Scheduler") for n in names):
            return self._give_jobstores(original_node, updated_node)
        if (
            m.matches(
                original_node,
                m.Call(
                    func=m.Attribute(attr=m.Name("add_jobstore")), args=[m.Arg(m.SimpleString())]
                ),
            )
            and cst.ensure_type(original_node.args[0].value, cst.SimpleString).evaluated_value
            == "memory"
        ):
            self.refuse(original_node, '`add_jobstore("memory")`: pass `MemoryJobStore()` instead.')
        return updated_node

    def _redis_or(self, memory_store: cst.BaseExpression, at: cst.CSTNode) -> cst.BaseExpression:
        self.add_needed_import("apscheduler.jobstores.redis", "RedisJobStore")
        self.add_needed_import("redis")
        return self.switched(memory_store, REDIS_JOBSTORE, at)

    def _give_jobstores(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if any(a.keyword and a.keyword.value == "jobstores" for a in updated.args):
            return updated
        if any(a.star or a.keyword is None for a in updated.args):
            self.refuse(original, "the scheduler's settings come from `gconfig` or `**options`.")
            return updated
        self.add_needed_import("apscheduler.jobstores.memory", "MemoryJobStore")
        store = self._redis_or(cst.parse_expression("MemoryJobStore()"), original)
        no_space = cst.SimpleWhitespace("")
        jobstores = cst.Arg(
            cst.Dict([cst.DictElement(cst.SimpleString('"default"'), store)]),
            keyword=cst.Name("jobstores"),
            equal=cst.AssignEqual(no_space, no_space),
        )
        if not updated.args:
            return updated.with_changes(args=[jobstores])
        args = list(updated.args)
        return updated.with_changes(
            args=insert_after(args, len(args) - 1, [jobstores], updated.whitespace_before_args)
        )
