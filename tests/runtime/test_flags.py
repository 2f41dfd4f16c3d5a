"""Flags: per component, else STATELESS_MODE, else off; read on every call."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from migrator.runtime import Component

COMPONENTS = (Component("SESSIONS", "kv", "redis"), Component("list_products", "cache", "redis"))


@pytest.fixture
def flags(runtime: Callable[..., ModuleType]) -> ModuleType:
    return runtime(*COMPONENTS)


def test_every_flag_is_off_when_nothing_is_set(flags: ModuleType) -> None:
    assert {name: f.stage() for name, f in flags.FLAGS.items()} == {
        "SESSIONS": flags.Stage.OFF,
        "list_products": flags.Stage.OFF,
    }


def test_a_component_setting_wins_over_the_mode_and_is_read_on_every_call(
    flags: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "shadow")
    monkeypatch.setenv("STATELESS_LIST_PRODUCTS", "complete")
    assert flags.FLAGS["SESSIONS"].stage() is flags.Stage.SHADOW
    assert flags.FLAGS["list_products"].stage() is flags.Stage.COMPLETE
    monkeypatch.setenv("STATELESS_SESSIONS", "rampdown")
    assert flags.FLAGS["SESSIONS"].stage() is flags.Stage.RAMPDOWN


def test_a_stage_change_changes_where_a_store_reads_without_a_restart(
    flags: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = {"sid": "from memory"}
    sessions = flags.kv("SESSIONS", old)
    monkeypatch.setenv("STATELESS_SESSIONS", "complete")
    sessions["sid"] = "from redis"
    assert old == {"sid": "from memory"}
    monkeypatch.setenv("STATELESS_SESSIONS", "off")
    assert sessions["sid"] == "from memory"
    monkeypatch.setenv("STATELESS_SESSIONS", "live")
    assert sessions["sid"] == "from redis"


def test_a_setting_that_names_no_stage_is_a_clear_error(
    flags: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_SESSIONS", "shadw")
    with pytest.raises(ValueError, match=r"STATELESS_SESSIONS='shadw' is not a migration stage"):
        flags.FLAGS["SESSIONS"].stage()


def test_the_stage_table(flags: ModuleType) -> None:
    table = {
        stage.value: (
            stage.reads_old,
            stage.reads_new,
            stage.answers_new,
            stage.writes_old,
            stage.writes_new,
            stage.compares,
        )
        for stage in flags.Stage
    }
    assert table == {
        "off": (True, False, False, True, False, False),
        "dualwrite": (True, False, False, True, True, False),
        "shadow": (True, True, False, True, True, True),
        "live": (True, True, True, True, True, True),
        "rampdown": (False, True, True, True, True, False),
        "complete": (False, True, True, False, True, False),
    }


def test_an_openfeature_provider_decides_the_stage_when_one_is_set(
    flags: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("openfeature")
    from openfeature import api
    from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider
    from openfeature.provider.no_op_provider import NoOpProvider

    monkeypatch.setenv("STATELESS_MODE", "dualwrite")
    api.set_provider(
        InMemoryProvider({"SESSIONS": InMemoryFlag("live", {"live": "live", "off": "off"})})
    )
    try:
        assert flags.FLAGS["SESSIONS"].stage() is flags.Stage.LIVE
        # A flag the provider does not know falls back to the environment.
        assert flags.FLAGS["list_products"].stage() is flags.Stage.DUALWRITE
    finally:
        api.set_provider(NoOpProvider())
    assert flags.FLAGS["SESSIONS"].stage() is flags.Stage.DUALWRITE
