"""Solver scenarios on small synthetic channels; every solution goes through the independent checker."""

from __future__ import annotations

import pytest

from naja.errors import SolverLimitError, UnsatisfiableError
from naja.solver import SolverTask, check, solve
from naja.types.records import PackageRecord

MAIN = "https://conda.example/main"
EXTRA = "https://conda.example/extra"


def rec(name: str, version: str, build: str = "0", depends=(), channel: str = MAIN, **kw) -> PackageRecord:
    kw.setdefault("build_number", int(build.rsplit("_", 1)[-1]) if build.rsplit("_", 1)[-1].isdigit() else 0)
    return PackageRecord(name=name, version=version, build=build, depends=list(depends), channel=channel,
                         subdir=kw.pop("subdir", "linux-64"), fn=f"{name}-{version}-{build}.conda", **kw)


def run(specs, available, *, installed=(), virtual=(), pins=(), absent=(), **kw):
    task = SolverTask(specs=list(specs), available=list(available), installed=list(installed),
                      virtual_packages=list(virtual), pins=list(pins), **kw)
    solution = solve(task)
    wanted = list(specs) + list(kw.get("update_specs", []))
    if not kw.get("no_deps") and not kw.get("only_deps"):
        assert check(solution, wanted, virtual, pins=pins, absent=absent) == []
    return {r.name: r for r in solution}


def versions(solution) -> dict[str, str]:
    return {n: r.version for n, r in solution.items()}


def test_newest_versions_and_dependencies():
    av = [rec("a", "1.0", depends=["b"]), rec("a", "2.0", depends=["b >=2"]), rec("b", "1.0"), rec("b", "2.0"),
          rec("b", "2.1"), rec("unrelated", "1.0")]
    assert versions(run(["a"], av)) == {"a": "2.0", "b": "2.1"}


def test_checker_reports_problems():
    a = rec("a", "1.0", depends=["b >=2"], constrains=["c <2"])
    problems = check([a, rec("b", "1.0"), rec("c", "3.0"), rec("c", "1.0")], ["a", "d"])
    text = "\n".join(problems)
    assert "two records for c" in text
    assert "requires b >=2, but b-1.0-0" in text
    assert "requested d is not installed" in text
    assert check([rec("a", "1.0", depends=["__glibc >=2.17"])], ["a"],
                 [rec("__glibc", "2.12")]) != []


def test_conflict_deep_in_the_tree_needs_backjumping():
    # x 2 -> p -> q -> r -> s 2, while y 2 needs s 1: the clash shows up only four levels below the
    # decision on y, after unrelated decisions on m and n, and the search must jump back over them.
    av = [rec("x", "2.0", depends=["p"]), rec("x", "1.0"),
          rec("y", "2.0", depends=["m", "s 1.*"]), rec("y", "1.0", depends=["m"]),
          rec("s", "2.0"), rec("s", "1.0")]
    for name, dep in (("p", "q"), ("q", "r"), ("r", "s 2.*")):
        av += [rec(name, "2.0", depends=[dep]), rec(name, "1.0", depends=[dep])]
    av += [rec("m", f"1.{i}", depends=["n"]) for i in range(30)]
    av += [rec("n", f"1.{i}") for i in range(30)]
    assert versions(run(["x", "y"], av)) == {"x": "2.0", "y": "1.0", "p": "2.0", "q": "2.0", "r": "2.0",
                                             "s": "2.0", "m": "1.29", "n": "1.29"}
    from naja.solver._spec import MatchSpec
    from naja.solver.core import Search
    from naja.solver.pool import Pool

    pool = Pool(av)
    search = Search(pool)
    for text in ("x", "y"):
        ms = MatchSpec(text)
        search.add_requirement(0, ms, pool.matches(text, ms), ("request", text))
    chosen = {pool.describe(v) for v in search.run()}
    assert {"x 2.0 0", "y 1.0 0", "s 2.0 0"} <= chosen
    assert search.conflicts >= 1 and search.backjumps >= 1


def test_track_features_are_deprioritised():
    av = [rec("foo", "2.0", "debug_0", track_features="debug"), rec("foo", "1.0")]
    assert versions(run(["foo"], av)) == {"foo": "1.0"}
    assert versions(run(["foo >=2"], av)) == {"foo": "2.0"}
    # fewer features before more features
    av2 = [rec("bar", "1.0", "a_0", track_features="x y"), rec("bar", "1.0", "b_0", track_features="x")]
    assert run(["bar"], av2)["bar"].build == "b_0"


def test_constrains_exclude_the_newest_candidate():
    av = [rec("a", "1.0", constrains=["b <2"]), rec("b", "1.5"), rec("b", "2.0")]
    assert versions(run(["a", "b"], av)) == {"a": "1.0", "b": "1.5"}
    # a constraint on a package that is not installed does not pull it in
    assert versions(run(["a"], av)) == {"a": "1.0"}


def test_pins_hold_against_an_update():
    av = [rec("b", "1.0"), rec("b", "1.5"), rec("b", "2.0")]
    installed = [rec("b", "1.0")]
    sol = run([], av, installed=installed, pins=["b <2"], update_specs=["b"])
    assert versions(sol) == {"b": "1.5"}
    with pytest.raises(UnsatisfiableError):
        run(["b >=2"], av, installed=installed, pins=["b <2"])


def test_installed_versions_are_kept_unless_updated():
    av = [rec("a", "1.0", depends=["b"]), rec("b", "1.0"), rec("b", "2.0")]
    installed = [rec("b", "1.0")]
    assert versions(run(["a"], av, installed=installed)) == {"a": "1.0", "b": "1.0"}
    assert versions(run([], av, installed=installed, update_all=True)) == {"b": "2.0"}
    assert versions(run([], av, installed=installed, update_specs=["b"])) == {"b": "2.0"}
    # a request that needs a change gets it
    assert versions(run(["b >=2"], av, installed=installed)) == {"b": "2.0"}


def test_freeze_installed():
    av = [rec("a", "1.0", depends=["b"]), rec("a", "2.0", depends=["b >=2"]), rec("b", "1.0"), rec("b", "2.0")]
    installed = [rec("b", "1.0")]
    assert versions(run(["a"], av, installed=installed, freeze_installed=True)) == {"a": "1.0", "b": "1.0"}
    with pytest.raises(UnsatisfiableError):
        run(["a 2.0"], av, installed=installed, freeze_installed=True)


def test_channel_priority_strict_flexible_disabled():
    av = [rec("foo", "1.0", channel=MAIN), rec("foo", "2.0", channel=EXTRA), rec("bar", "1.0", channel=EXTRA)]
    chans = [MAIN, EXTRA]
    assert versions(run(["foo", "bar"], av, channels=chans)) == {"foo": "1.0", "bar": "1.0"}
    with pytest.raises(UnsatisfiableError):
        run(["foo >=2"], av, channels=chans, channel_priority="strict")
    assert versions(run(["foo"], av, channels=chans, channel_priority="flexible"))["foo"] == "1.0"
    assert versions(run(["foo >=2"], av, channels=chans, channel_priority="flexible"))["foo"] == "2.0"
    assert versions(run(["foo"], av, channels=chans, channel_priority="disabled"))["foo"] == "2.0"


def test_channel_in_spec_overrides_strict_priority():
    av = [rec("foo", "1.0", channel=MAIN), rec("foo", "2.0", channel=EXTRA)]
    sol = run([f"{EXTRA}::foo"], av, channels=[MAIN, EXTRA])
    assert sol["foo"].channel == EXTRA


def test_remove_takes_dependents_or_refuses():
    installed = [rec("a", "1.0", depends=["b"]), rec("b", "1.0"), rec("c", "1.0"), rec("d", "1.0", depends=["a>=1"])]
    sol = run([], [], installed=installed, remove_specs=["b"], absent=["a", "b", "d"])
    assert versions(sol) == {"c": "1.0"}
    with pytest.raises(UnsatisfiableError, match="cannot remove b: needed by a, d"):
        run([], [], installed=installed, remove_specs=["b"], remove_dependents=False)


def test_virtual_packages():
    av = [rec("tool", "2.0", depends=["__glibc >=2.17"]), rec("tool", "1.0", depends=["__glibc >=2.5"]),
          rec("gpu", "1.0", depends=["__cuda"]), rec("gpu", "0.9")]
    glibc = [rec("__glibc", "2.12", channel="@")]
    assert versions(run(["tool", "gpu"], av, virtual=glibc)) == {"tool": "1.0", "gpu": "0.9"}
    new = [rec("__glibc", "2.28", channel="@"), rec("__cuda", "12.0", channel="@")]
    assert versions(run(["tool", "gpu"], av, virtual=new)) == {"tool": "2.0", "gpu": "1.0"}


def test_equal_versions_prefer_newer_dependencies():
    av = [rec("python", "2.7.18"), rec("python", "3.6.9"),
          rec("numpy", "1.0", "py27_0", depends=["python 2.7.*"]), rec("numpy", "1.0", "py36_0", depends=["python 3.6.*"])]
    sol = run(["numpy"], av)
    assert sol["numpy"].build == "py36_0" and sol["python"].version == "3.6.9"
    # conda's objective ranks a requested package's build number before its dependencies' versions
    av[2] = rec("numpy", "1.0", "py27_1", depends=["python 2.7.*"])
    sol = run(["numpy"], av)
    assert sol["numpy"].build == "py27_1" and sol["python"].version == "2.7.18"
    # build number, then timestamp, for otherwise equal candidates
    av2 = [rec("z", "1.0", "h1_1", timestamp=10), rec("z", "1.0", "h2_1", timestamp=20), rec("z", "1.0", "h3_0")]
    assert run(["z"], av2)["z"].build == "h2_1"


def test_requested_packages_decided_before_dependencies():
    # the newest 'lib' would force an old 'app'; the request names app, so app wins
    av = [rec("app", "2.0", depends=["lib <2"]), rec("app", "1.0", depends=["lib"]), rec("lib", "1.0"), rec("lib", "2.0")]
    assert versions(run(["app"], av)) == {"app": "2.0", "lib": "1.0"}


def test_noarch_and_no_deps_only_deps():
    av = [rec("tool", "1.0", "pyh_0", depends=["python >=3"], subdir="noarch", noarch="python"),
          rec("python", "3.10"), rec("python", "2.7")]
    assert versions(run(["tool"], av)) == {"tool": "1.0", "python": "3.10"}
    assert versions(run(["tool"], av, no_deps=True)) == {"tool": "1.0"}
    assert versions(run(["tool"], av, only_deps=True)) == {"python": "3.10"}


def test_force_reinstall_keeps_the_installed_build():
    av = [rec("b", "1.0"), rec("b", "2.0")]
    assert versions(run(["b"], av, installed=[rec("b", "1.0")], force_reinstall=True)) == {"b": "1.0"}


def test_duplicate_formats_collapse_to_conda():
    a = rec("a", "1.0")
    tar = PackageRecord(**{**a.to_dict(), "fn": "a-1.0-0.tar.bz2"})
    sol = run(["a"], [tar, a])
    assert sol["a"].fn.endswith(".conda")


def test_unsatisfiable_explanation_collapses_versions():
    av = [rec("app", v, depends=["lib >=2"]) for v in ("1.0", "1.1", "1.2")]
    av += [rec("lib", "1.0"), rec("lib", "2.0"), rec("other", "1.0")]
    with pytest.raises(UnsatisfiableError) as err:
        run(["app", "lib <2"], av)
    exc = err.value
    assert str(exc) == "could not solve the request: app, lib <2 cannot be installed together"
    assert exc.explanation == "\n".join([
        "The following packages are incompatible",
        "├─ app can be installed with any of the following options:",
        "│  └─ app 1.2 | 1.1 | 1.0 would require",
        "│     └─ lib >=2, which conflicts with lib <2 (requested)",
        "└─ lib <2 is requested and can be installed",
    ])
    import json

    data = json.loads(json.dumps(exc.data))
    assert data["requested"] == ["app", "lib <2"]
    assert data["tree"][0]["options"][0]["versions"] == ["1.0", "1.1", "1.2"]


def test_unsatisfiable_missing_dependency_and_deep_chain():
    av = [rec("top", "1.0", depends=["mid"]), rec("mid", "1.0", depends=["leaf >=5"]), rec("leaf", "1.0")]
    with pytest.raises(UnsatisfiableError) as err:
        run(["top"], av)
    assert str(err.value) == "could not solve the request: nothing provides leaf >=5 needed by mid 1.0 0"
    assert "leaf >=5 does not exist" in err.value.explanation
    assert err.value.explanation.count("would require") == 2
    with pytest.raises(UnsatisfiableError, match="nothing provides requested nope"):
        run(["nope"], av)


def test_broken_records_are_left_out_not_fatal():
    av = [rec("a", "2.0", depends=["b >=>=1"]), rec("a", "1.5", depends=["b"]), rec("b", "not a version!"),
          rec("b", "1.0")]
    assert versions(run(["a"], av)) == {"a": "1.5", "b": "1.0"}


def test_pin_conflict_is_explained():
    av = [rec("a", "2.0", depends=["b >=2"]), rec("b", "1.0"), rec("b", "2.0")]
    with pytest.raises(UnsatisfiableError) as err:
        run(["a"], av, pins=["b <2"])
    assert "b 2.0 is excluded by the pin b <2" in err.value.explanation


def test_conflict_with_the_installed_environment_is_explained():
    av = [rec("a", "1.0", depends=["b"]), rec("a", "2.0", depends=["b >=2"]), rec("b", "1.0"), rec("b", "2.0")]
    installed = [rec("b", "1.0"), rec("c", "1.0", depends=["b <2"])]
    with pytest.raises(UnsatisfiableError) as err:
        run(["a 2.0"], av, installed=installed, freeze_installed=True)
    assert str(err.value) == "could not solve the request: a 2.0, b (installed, frozen) cannot be installed together"
    assert err.value.explanation.splitlines()[-1] == "└─ b 1.0 is installed and frozen"
    with pytest.raises(UnsatisfiableError) as err:
        run(["a 2.0"], av, installed=installed)
    assert "b >=2, which conflicts with b <2 (required by c 1.0)" in err.value.explanation
    assert "c (installed) can only be:" in err.value.explanation


def test_add_pip_as_python_dependency():
    av = [rec("python", "3.10.1"), rec("pip", "23.0", depends=["python >=3.7"]), rec("tool", "1.0", depends=["python"])]
    assert versions(run(["tool"], av)) == {"tool": "1.0", "python": "3.10.1"}
    sol = run(["tool"], av, add_pip_as_python_dependency=True)
    assert versions(sol) == {"tool": "1.0", "python": "3.10.1", "pip": "23.0"}


def test_update_moves_dependencies_only_as_needed():
    av = [rec("a", "1.0", depends=["b"]), rec("a", "2.0", depends=["b >=2"]), rec("b", "1.0"), rec("b", "2.0"),
          rec("b", "3.0"), rec("c", "1.0"), rec("c", "2.0")]
    installed = [rec("a", "1.0", depends=["b"]), rec("b", "1.0"), rec("c", "1.0")]
    # b must move for a 2.0, but only as far as the newest b (the update's own preference), c stays
    assert versions(run([], av, installed=installed, update_specs=["a"])) == {"a": "2.0", "b": "3.0", "c": "1.0"}
    assert versions(run([], av, installed=installed, update_all=True, pins=["b <3"])) == {
        "a": "2.0", "b": "2.0", "c": "2.0"}


def test_constraint_conflict_is_explained():
    av = [rec("a", "1.0", constrains=["b <2"]), rec("a", "1.1", constrains=["b <2"]), rec("b", "1.0"),
          rec("b", "2.0"), rec("b", "2.1")]
    with pytest.raises(UnsatisfiableError) as err:
        run(["a", "b >=2"], av)
    text = err.value.explanation
    assert "b 2.1 | 2.0 is excluded by b <2 (a constraint of a)" in text
    assert "a 1.1 | 1.0 constrains b <2, which conflicts with b >=2 (requested)" in text


def _old_interpreter_case(n: int = 30):
    av = [rec("tool", "1.0", depends=["py 2.7.*"]), rec("py", "2.7.1"), rec("py", "2.7.2"),
          rec("py", "3.6.0"), rec("py", "3.7.0")]
    for k in range(n):
        av += [rec(f"lib{k}", "2.0", depends=["py >=3"]), rec(f"lib{k}", "1.0", depends=["py"])]
    return av, ["tool", *(f"lib{k}" for k in range(n))]


def test_certain_requirement_excludes_other_builds_at_once():
    # tool is certain and needs py 2.7: every py 3 is out before any lib is tried, so the newest libs
    # (py 3 only) are refuted without conflicts (each used to cost at least one)
    av, specs = _old_interpreter_case()
    sol = run(specs, av, max_conflicts=3)
    assert sol["py"].version == "2.7.2" and {sol[f"lib{k}"].version for k in range(30)} == {"1.0"}


def test_conflict_budget_fails_with_a_clear_message():
    # a_k needs b_k and d_k, and b_k's constraint rules d_k out: one conflict per a_k
    av = []
    for k in range(20):
        av += [rec("a", f"{k}.0", depends=[f"b =={k}.0", f"d =={k}.0"]),
               rec("b", f"{k}.0", constrains=["d <0"]), rec("d", f"{k}.0")]
    with pytest.raises(UnsatisfiableError):
        run(["a"], av)
    with pytest.raises(SolverLimitError, match=r"the solver gave up after 5 conflicts .*limits: 5 conflicts"):
        run(["a"], av, max_conflicts=5)


def test_activities_are_rescaled_before_overflow():
    from naja.solver.core import Search
    from naja.solver.pool import Pool

    search = Search(Pool([]))
    search._inc = 1e99
    for name in ("a", "a", "b"):
        search._bump(name)
    for _ in range(3000):  # the increment grows 5% per conflict: 1.05**3000 overflows a float
        search._inc *= 1.05
        search._bump("c")
    acts = search.activity
    assert all(0 < x < 1e101 for x in acts.values()) and search._inc < 1e101
    assert acts["c"] > acts["a"] >= acts["b"]


def test_a_name_every_candidate_requires_is_narrowed_at_once():
    # every 'old' build needs python 2.7: all python 3 builds are out before anything is decided,
    # rather than each being chosen (for the newest 'dec') and refuted by its own conflict
    av = [rec("python", f"3.7.{k}") for k in range(25)] + [rec("python", f"2.7.{k}") for k in range(5)]
    av += [rec("dec", "4.3", f"py37_{k}", depends=["python 3.7.*"]) for k in range(3)]
    av += [rec("dec", "4.3", "py27_0", depends=["python 2.7.*"])]
    av += [rec("old", "1.0", f"py27_{k}", depends=["python 2.7.*", "six"]) for k in range(3)] + [rec("six", "1.0")]
    sol = run(["dec", "old"], av, max_conflicts=3)
    assert sol["python"].version == "2.7.4" and sol["dec"].build == "py27_0"
    with pytest.raises(UnsatisfiableError) as err:
        run(["dec", "old", "python 3.7.*"], av)
    assert "python" in err.value.explanation
