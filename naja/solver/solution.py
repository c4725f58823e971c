"""``Solution``: what a solve does to an environment, as typed actions (libmamba's shape).

The solver returns the final environment; ``Solution.diff`` compares it with what is installed
and says, per package, what happens: ``Install``, ``Remove``, ``Upgrade``, ``Downgrade``,
``Change`` (same version and build number, another build or channel), ``Reinstall`` (the same
file, linked again) or ``Omit`` (left as it is). The kind of each replacement is decided once, by
``naja.types.records.change_kind``; the transaction, the summary table and ``--json`` all read these
actions, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import ClassVar, Literal

import msgspec

from naja.types.records import PackageRecord, change_kind, same_artifact

ActionKind = Literal["install", "remove", "upgrade", "downgrade", "change", "reinstall", "omit"]


class Install(msgspec.Struct, frozen=True):
    """A package the environment does not have yet."""

    kind: ClassVar[ActionKind] = "install"
    install: PackageRecord


class Remove(msgspec.Struct, frozen=True):
    """An installed package the new environment does not hold."""

    kind: ClassVar[ActionKind] = "remove"
    remove: PackageRecord


class Upgrade(msgspec.Struct, frozen=True):
    """``remove`` replaced by a higher (version, build number)."""

    kind: ClassVar[ActionKind] = "upgrade"
    remove: PackageRecord
    install: PackageRecord


class Downgrade(msgspec.Struct, frozen=True):
    """``remove`` replaced by a lower (version, build number)."""

    kind: ClassVar[ActionKind] = "downgrade"
    remove: PackageRecord
    install: PackageRecord


class Change(msgspec.Struct, frozen=True):
    """``remove`` replaced by an equal (version, build number) with another build string or channel."""

    kind: ClassVar[ActionKind] = "change"
    remove: PackageRecord
    install: PackageRecord


class Reinstall(msgspec.Struct, frozen=True):
    """The installed file linked again (``--force-reinstall``, noarch python after a python change)."""

    kind: ClassVar[ActionKind] = "reinstall"
    remove: PackageRecord
    install: PackageRecord


class Omit(msgspec.Struct, frozen=True):
    """An installed package left as it is."""

    kind: ClassVar[ActionKind] = "omit"
    keep: PackageRecord


Replace = Upgrade | Downgrade | Change | Reinstall
Action = Install | Remove | Upgrade | Downgrade | Change | Reinstall | Omit

_REPLACE: dict[str, type[Upgrade] | type[Downgrade] | type[Change] | type[Reinstall]] = {
    "upgrade": Upgrade, "downgrade": Downgrade, "change": Change, "reinstall": Reinstall,
}


def replacement(old: PackageRecord, new: PackageRecord) -> Replace:
    """The action replacing ``old`` by ``new`` (same name), classified by ``records.change_kind``."""
    return _REPLACE[change_kind(old, new)](old, new)


class Solution(msgspec.Struct, frozen=True):
    """The actions of one solve: for each installed package (in the order given) what becomes of
    it, then each new package (in the solution's order)."""

    actions: tuple[Action, ...] = ()

    @classmethod
    def diff(cls, installed: Sequence[PackageRecord], final: Sequence[PackageRecord], *,
             relink: Collection[str] = ()) -> Solution:
        """From the installed records to ``final`` (the whole environment after the solve). A name
        in ``relink`` is linked again even when ``final`` holds the installed file."""
        new_by_name = {r.name: r for r in final}
        old_names = {r.name for r in installed}
        actions: list[Action] = []
        for old in {r.name: r for r in installed}.values():
            new = new_by_name.get(old.name)
            if new is None:
                actions.append(Remove(old))
            elif old.name in relink or not same_artifact(old, new):
                actions.append(replacement(old, new))
            else:
                actions.append(Omit(old))
        actions += [Install(r) for r in new_by_name.values() if r.name not in old_names]
        return cls(tuple(actions))

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    @property
    def changes(self) -> list[Action]:
        """Every action but ``Omit``, by package name: the rows of a summary."""
        return sorted((a for a in self.actions if not isinstance(a, Omit)), key=action_name)

    @property
    def to_link(self) -> list[PackageRecord]:
        """The records to link: new packages and the new side of every replacement."""
        return [a.install for a in self.actions if not isinstance(a, (Remove, Omit))]

    @property
    def to_unlink(self) -> list[PackageRecord]:
        """The installed records to unlink: removals and the old side of every replacement."""
        return [a.remove for a in self.actions if not isinstance(a, (Install, Omit))]

    def of_kind(self, kind: ActionKind) -> list[Action]:
        """The actions of one kind, by package name."""
        return [a for a in self.changes if a.kind == kind] if kind != "omit" else \
            sorted((a for a in self.actions if isinstance(a, Omit)), key=action_name)


def action_name(action: Action) -> str:
    """The package an action is about."""
    if isinstance(action, Install):
        return action.install.name
    if isinstance(action, Omit):
        return action.keep.name
    return action.remove.name
