"""The Python API the CLI is a thin layer over, used directly (no subprocess)."""

from __future__ import annotations

import pytest

from naja import api
from naja.errors import NajaError, PrefixError
from tests.support.cli import example_channel as shared_example_channel


@pytest.fixture(scope="module")
def example_channel(tmp_path_factory):
    return shared_example_channel(tmp_path_factory)


def test_plan_then_execute(example_channel, tmp_path):
    prefix = tmp_path / "env"
    plan = api.plan_create(["hello"], api.Options(prefix=str(prefix), channels=(str(example_channel),)))
    rows = {r.name: r for r in plan.summary_rows()}
    assert set(rows) == {"hello", "libhello"} and all(r.kind == "install" for r in rows.values())
    assert not prefix.exists()  # planning changes nothing
    doc = plan.to_json()
    assert doc["actions"]["PREFIX"] == str(prefix) and doc["dry_run"] is False
    plan.execute()
    assert (prefix / "bin" / "hello").is_file()
    _, records = api.list_packages(api.Options(prefix=str(prefix)))
    assert [r.name for r in records] == ["hello", "libhello"]
    # one-call form with keyword options; then remove
    api.install(["greet"], prefix=str(prefix), channels=[str(example_channel)])
    assert (prefix / "bin" / "greet").is_file()
    removed = api.remove(["greet"], prefix=str(prefix))
    assert {r.name for r in removed.to_unlink} >= {"greet"}
    node = api.depends("hello", api.Options(prefix=str(prefix)), tree=True)
    assert [c.record.name for c in node.children] == ["libhello"]


def test_api_errors_are_naja_errors(tmp_path):
    with pytest.raises(PrefixError):
        api.plan_install(["x"], prefix=str(tmp_path / "missing"))
    with pytest.raises(NajaError):
        api.plan_create(["x"], api.Options())  # no -n/-p


def test_one_change_classifier_for_summary_transaction_and_json(tmp_path):
    """A build-number bump at the same version is an upgrade everywhere the change is shown (the
    summary rows once said 'change' while the transaction said 'upgrade')."""
    from naja.types.records import PackageRecord, change_kind
    from tests.support.packages import make_channel

    channel = make_channel(tmp_path / "channel", [
        {"name": "tool", "version": "1.0", "build": f"h_{n}", "build_number": n,
         "files": {"share/tool.txt": f"build {n}\n"}} for n in (0, 1)])
    prefix = tmp_path / "env"
    api.create(["tool=1.0=h_0"], prefix=str(prefix), channels=[str(channel)])
    plan = api.plan_update(["tool"], api.Options(prefix=str(prefix), channels=(str(channel),)))
    (row,) = plan.summary_rows()
    assert (row.kind, row.build) == ("upgrade", "h_1")
    plan.execute()
    assert [(a.build, b.build) for a, b in plan.transaction.upgrade] == [("h_0", "h_1")]
    assert plan.transaction.change == []
    old = PackageRecord(name="t", version="2.0", build="a", build_number=5, channel="c", subdir="s")
    assert change_kind(old, PackageRecord(name="t", version="1.0", build="b", build_number=9)) == "downgrade"
    assert change_kind(old, PackageRecord(name="t", version="2.0", build="b", build_number=5,
                                          channel="other", subdir="s")) == "change"
    assert change_kind(old, PackageRecord(name="t", version="2.0", build="a", build_number=5,
                                          channel="c", subdir="s")) == "reinstall"


def test_custom_channel_named_in_a_spec_is_read_under_the_users_config(tmp_path, serve):
    """``mychan::tool`` with ``custom_channels: {mychan: <server>}``: the spec's channel is the
    user's custom channel, not ``<channel_alias>/mychan`` (a module-level default nobody set)."""
    from tests.support.packages import make_channel

    make_channel(tmp_path / "srv" / "mychan", [{"name": "tool", "version": "1.0", "noarch": "generic",
                                                 "files": {"share/tool.txt": "hi\n"}}])
    server = serve(tmp_path / "srv")
    rc = tmp_path / "condarc.yml"
    rc.write_text(f"custom_channels:\n  mychan: {server.url}\n")
    prefix = tmp_path / "env"
    options = api.Options(prefix=str(prefix), channels=("mychan",), rc_files=(str(rc),))
    plan = api.plan_create(["mychan::tool"], options)
    assert [(r.name, r.channel) for r in plan.to_link] == [("tool", f"{server.url}/mychan")]
    assert [row.channel for row in plan.summary_rows()] == ["mychan"]
