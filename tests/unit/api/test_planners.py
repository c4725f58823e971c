"""The per-command planners, called in-process over a file:// channel: the solver request each one
builds (its jobs) and the actions of the solution (install, upgrade, change, remove, ...)."""

from __future__ import annotations

from pathlib import Path

import pytest

from naja import api
from naja.errors import PrefixError, UnsatisfiableError
from naja.solver import request as rq
from naja.solver import solution as sol
from tests.support.packages import make_channel


def _pkg(name: str, version: str, build: str = "h_0", build_number: int = 0, depends: tuple[str, ...] = ()
         ) -> dict[str, object]:
    return {"name": name, "version": version, "build": build, "build_number": build_number,
            "depends": depends, "noarch": "generic", "files": {f"share/{name}/{version}-{build}.txt": "x\n"}}


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = make_channel(tmp_path_factory.mktemp("channel"), [
        _pkg("lib", "1.0"), _pkg("lib", "2.0"),
        _pkg("app", "1.0", depends=("lib",)), _pkg("app", "2.0", depends=("lib >=2",)),
        _pkg("tool", "1.0", "h_0", 0), _pkg("tool", "1.0", "h_1", 1),
        _pkg("other", "1.0", "a", 0), _pkg("other", "1.0", "b", 0),
        _pkg("leaf", "1.0"), _pkg("leaf", "2.0"),
    ])
    return root.as_uri()


@pytest.fixture
def env(tmp_path: Path) -> Path:
    return tmp_path / "env"


def _opts(env: Path, channel: str, **kw: object) -> api.Options:
    return api.Options(prefix=str(env), channels=(channel,), **kw)  # type: ignore[arg-type]


def _jobs(plan: api.Plan) -> list[tuple[str, str]]:
    """The request's jobs as (kind, spec) pairs, pins included."""
    assert plan.request is not None
    return [(type(j).__name__, str(getattr(j, "spec", ""))) for j in plan.request.jobs]


def _actions(plan: api.Plan) -> dict[str, tuple[str, str]]:
    """name -> (action kind, new or removed dist) for every action but Omit."""
    out = {}
    for a in plan.changes.changes:
        rec = a.remove if isinstance(a, sol.Remove) else a.install  # type: ignore[union-attr]
        out[sol.action_name(a)] = (a.kind, rec.dist_name)
    return out


def test_create_installs_each_spec_from_an_empty_environment(env: Path, channel: str) -> None:
    plan = api.plan_create(["app", "tool=1.0=h_0"], _opts(env, channel))
    assert _jobs(plan) == [("Install", "app"), ("Install", "tool==1.0=h_0")]
    assert _actions(plan) == {"app": ("install", "app-2.0-h_0"), "lib": ("install", "lib-2.0-h_0"),
                              "tool": ("install", "tool-1.0-h_0")}
    assert plan.requested == ["app", "tool==1.0=h_0"] and plan.remove_specs == []
    assert {r.kind for r in plan.summary_rows()} == {"install"}
    assert not env.exists()  # planning changes nothing


def test_create_without_specs_builds_no_request_to_solve(env: Path, channel: str) -> None:
    plan = api.plan_create([], _opts(env, channel))
    assert _jobs(plan) == [] and plan.transaction is None and plan.create_prefix
    assert plan.changes.actions == ()


def test_a_build_number_bump_at_the_same_version_is_an_upgrade(env: Path, channel: str) -> None:
    api.create(["tool=1.0=h_0"], _opts(env, channel))
    plan = api.plan_update(["tool"], _opts(env, channel))
    assert _jobs(plan) == [("Update", "tool")]
    (action,) = plan.changes.changes
    assert isinstance(action, sol.Upgrade)
    assert (action.remove.build, action.install.build) == ("h_0", "h_1")
    (row,) = plan.summary_rows()
    assert (row.kind, row.build, row.old_version) == ("upgrade", "h_1", "")
    assert [(a.build, b.build) for a, b in plan.transaction.upgrade] == [("h_0", "h_1")]  # type: ignore[union-attr]


def test_another_build_string_at_the_same_version_and_build_number_is_a_change(env: Path, channel: str) -> None:
    api.create(["other=1.0=a"], _opts(env, channel))
    plan = api.plan_install(["other=1.0=b"], _opts(env, channel))
    assert _jobs(plan) == [("Install", "other==1.0=b")]
    assert _actions(plan) == {"other": ("change", "other-1.0-b")}
    assert [r.kind for r in plan.summary_rows()] == ["change"]


def test_an_older_version_asked_for_is_a_downgrade(env: Path, channel: str) -> None:
    api.create(["lib=2.0"], _opts(env, channel))
    plan = api.plan_install(["lib=1.0"], _opts(env, channel))
    assert _actions(plan) == {"lib": ("downgrade", "lib-1.0-h_0")}
    (row,) = plan.summary_rows()
    assert (row.kind, row.version, row.old_version) == ("downgrade", "1.0", "2.0")


def test_freeze_installed_keeps_every_installed_build(env: Path, channel: str) -> None:
    api.create(["lib=1.0"], _opts(env, channel))
    free = api.plan_install(["app"], _opts(env, channel))
    assert _jobs(free) == [("Install", "app")]
    assert _actions(free) == {"app": ("install", "app-2.0-h_0"), "lib": ("upgrade", "lib-2.0-h_0")}
    frozen = api.plan_install(["app"], _opts(env, channel, freeze_installed=True))
    assert _jobs(frozen) == [("Install", "app"), ("Freeze", "")]
    assert _actions(frozen) == {"app": ("install", "app-1.0-h_0")}  # app 2.0 would need lib 2
    assert [type(a).__name__ for a in frozen.changes.of_kind("omit")] == ["Omit"]
    with pytest.raises(UnsatisfiableError):
        api.plan_install(["app=2.0"], _opts(env, channel, freeze_installed=True))


def test_remove_takes_the_packages_that_depend_on_it_along(env: Path, channel: str) -> None:
    api.create(["app", "leaf"], _opts(env, channel))
    plan = api.plan_remove(["lib"], _opts(env, channel))
    assert _jobs(plan) == [("Remove", "lib")]
    assert _actions(plan) == {"app": ("remove", "app-2.0-h_0"), "lib": ("remove", "lib-2.0-h_0")}
    assert plan.requested == [] and plan.remove_specs == ["lib"]
    assert plan.channels is None  # removing reads no channel
    assert [r.kind for r in plan.summary_rows()] == ["remove", "remove"]
    assert {r.name for r in plan.to_unlink} == {"app", "lib"} and plan.to_link == []


def test_remove_refuses_a_package_that_is_not_installed(env: Path, channel: str) -> None:
    api.create(["leaf"], _opts(env, channel))
    with pytest.raises(PrefixError, match="'lib' is not installed"):
        api.plan_remove(["lib"], _opts(env, channel))


def test_update_all_moves_every_installed_package_to_its_newest_build(env: Path, channel: str) -> None:
    api.create(["lib=1.0", "leaf=1.0", "tool=1.0=h_0"], _opts(env, channel))
    plan = api.plan_update([], _opts(env, channel), update_all=True)
    assert _jobs(plan) == [("UpdateAll", "")]
    assert _actions(plan) == {"lib": ("upgrade", "lib-2.0-h_0"), "leaf": ("upgrade", "leaf-2.0-h_0"),
                              "tool": ("upgrade", "tool-1.0-h_1")}
    nothing = api.plan_update([], _opts(env, channel))  # without --all or specs: nothing to solve
    assert _jobs(nothing) == [] and nothing.transaction is None


def test_pins_from_conda_meta_pinned_hold_an_update_back(env: Path, channel: str) -> None:
    api.create(["lib=1.0"], _opts(env, channel))
    (env / "conda-meta" / "pinned").write_text("lib 1.*  # stay on 1\n", encoding="utf-8")
    plan = api.plan_update(["lib"], _opts(env, channel))
    assert _jobs(plan) == [("Update", "lib"), ("Pin", "lib=1")]
    assert plan.empty and _actions(plan) == {}
    unpinned = api.plan_update(["lib"], _opts(env, channel, no_pin=True))
    assert _jobs(unpinned) == [("Update", "lib")]
    assert _actions(unpinned) == {"lib": ("upgrade", "lib-2.0-h_0")}


def test_request_flags_follow_the_options(env: Path, channel: str) -> None:
    plan = api.plan_create(["app"], _opts(env, channel, no_deps=True, force_reinstall=True))
    assert plan.request is not None
    assert plan.request.flags == rq.RequestFlags(no_deps=True, force_reinstall=True)
    assert _actions(plan) == {"app": ("install", "app-2.0-h_0")}  # no dependencies with --no-deps


def test_plan_transaction_dispatches_to_the_planners(env: Path, channel: str) -> None:
    api.create(["lib=1.0"], _opts(env, channel))
    plan = api.plan_transaction("update", ["lib"], _opts(env, channel))
    assert (plan.command, _jobs(plan)) == ("update", [("Update", "lib")])
    plan = api.plan_transaction("remove", ["lib"], _opts(env, channel), remove=True)
    assert (plan.command, _jobs(plan)) == ("remove", [("Remove", "lib")])
