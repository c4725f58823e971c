"""The solver's typed handoffs: a ``Request``'s jobs become the ``SolverTask`` the core solves, and
``Solution.diff`` classifies each package's fate with the one change classifier."""

from __future__ import annotations

from naja.solver import SolveOptions, SolverTask, solve
from naja.solver import request as rq
from naja.solver import solution as sol
from naja.types.match_spec import MatchSpec
from naja.types.records import PackageRecord


def _rec(name: str, version: str, build: str = "0", build_number: int = 0, depends: tuple[str, ...] = (),
         channel: str = "https://c/x") -> PackageRecord:
    return PackageRecord(name=name, version=version, build=build, build_number=build_number,
                         depends=list(depends), channel=channel, subdir="noarch",
                         fn=f"{name}-{version}-{build}.conda", url=f"{channel}/noarch/{name}-{version}-{build}.conda")


def _task(request: rq.Request, installed: list[PackageRecord], available: tuple[PackageRecord, ...] = (),
          **kw: object) -> SolverTask:
    return SolverTask.from_request(request, available=available, installed=installed, virtual_packages=[],
                                   channels=["https://c/x"], options=SolveOptions(**kw))  # type: ignore[arg-type]


def test_jobs_become_the_tasks_fields() -> None:
    a, b, c, p = (MatchSpec(s) for s in ("a", "b >=2", "c", "python 3.11.*"))
    request = rq.Request((rq.Install(a), rq.Update(b), rq.Remove(c), rq.Pin(p), rq.Freeze()),
                         rq.RequestFlags(no_deps=True, remove_dependents=False))
    task = _task(request, [], channel_priority="disabled", add_pip_as_python_dependency=False)
    assert task.specs == [a, b] and task.update_specs == [b]  # an update is also asked to be there
    assert task.remove_specs == [c] and task.pins == [p]
    assert task.freeze_installed and task.no_deps and not task.only_deps and not task.remove_dependents
    assert not task.update_all
    assert (task.channel_priority, task.add_pip_as_python_dependency) == ("disabled", False)


def test_update_all_updates_every_installed_name() -> None:
    installed = [_rec("z", "1"), _rec("a", "1")]
    task = _task(rq.Request((rq.UpdateAll(),)), installed)
    assert task.update_all and [str(s) for s in task.update_specs] == ["a", "z"] and task.specs == []


def test_request_views() -> None:
    request = rq.Request((rq.Install(MatchSpec("a")),)).with_jobs([rq.Pin(MatchSpec("a 1.*"))])
    assert request.requested_specs == (MatchSpec("a"),) and request.pins == (MatchSpec("a 1.*"),)
    assert request.changes_anything and not rq.Request((rq.Freeze(),)).changes_anything


def test_a_request_solves_end_to_end() -> None:
    available = (_rec("lib", "1"), _rec("lib", "2"), _rec("app", "1", depends=("lib",)))
    installed = [_rec("lib", "1")]
    app = rq.Install(MatchSpec("app"))
    frozen = solve(_task(rq.Request((app, rq.Freeze())), installed, available))
    assert sorted(r.dist_name for r in frozen) == ["app-1-0", "lib-1-0"]
    updated = solve(_task(rq.Request((app, rq.UpdateAll())), installed, available))
    assert sorted(r.dist_name for r in updated) == ["app-1-0", "lib-2-0"]
    removed = solve(_task(rq.Request((rq.Remove(MatchSpec("lib")),)), [*installed, available[2]], available))
    assert removed == []  # app needed lib: it goes too


def test_diff_classifies_each_package_once() -> None:
    installed = [_rec("up", "1"), _rec("down", "2"), _rec("bump", "1", "a", 0), _rec("chg", "1", "a"),
                 _rec("same", "1"), _rec("gone", "1"), _rec("again", "1")]
    final = [_rec("new", "1"), _rec("up", "2"), _rec("down", "1"), _rec("bump", "1", "b", 1),
             _rec("chg", "1", "b"), _rec("same", "1"), _rec("again", "1")]
    solution = sol.Solution.diff(installed, final, relink={"again"})
    kinds = {sol.action_name(a): a.kind for a in solution}
    assert kinds == {"up": "upgrade", "down": "downgrade", "bump": "upgrade", "chg": "change",
                     "same": "omit", "gone": "remove", "again": "reinstall", "new": "install"}
    assert [sol.action_name(a) for a in solution.changes] == sorted(set(kinds) - {"same"})
    # the installed side first, in the order given, then the new packages
    assert [r.name for r in solution.to_unlink] == ["up", "down", "bump", "chg", "gone", "again"]
    assert [r.name for r in solution.to_link] == ["up", "down", "bump", "chg", "again", "new"]
    assert [sol.action_name(a) for a in solution.of_kind("omit")] == ["same"]


def test_the_same_file_from_another_channel_is_a_change_not_an_omit() -> None:
    old, new = _rec("a", "1"), _rec("a", "1", channel="https://other/y")
    (action,) = sol.Solution.diff([old], [new]).actions
    assert isinstance(action, sol.Change) and (action.remove, action.install) == (old, new)
