"""The config override service: stored overrides, the merged view for GET, and live updates."""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio.config import Config, SectionInfo, norm_key
from kapacitrio.configoverride import sections
from kapacitrio.configoverride.action import UpdateAction, validate
from kapacitrio.configoverride.coerce import json_kind
from kapacitrio.configoverride.merge import Override, OverrideError, apply, base_value
from kapacitrio.logs import get_logger

#: The store kind (Kapacitor's `overrides` store) holding one document per overridden element,
#: id `section/element`.
KIND = "overrides"

_log = get_logger("config-override")


class ConfigOverrideService:
    """Overrides of the file configuration, kept in the server's `Store` and applied live."""

    def __init__(self, config: Config, store: Any) -> None:
        self.config = config
        self.store = store
        self.enabled = bool(config.get("config-override").enabled)
        #: Each overridable section as the file and environment gave it.
        self.base = {
            name: base_value(info, config.get(name))
            for name, info in sections.overridable().items()
        }
        self._lock = trio.Lock()

    # -- startup
    async def open(self) -> None:
        """Put the stored overrides in force, unless disabled or `skip-config-overrides` is set."""
        if not self.enabled:
            return
        if self.config.skip_config_overrides:
            _log.info("skipping stored config overrides (skip-config-overrides is set)")
            return
        stored = await self._stored(None)
        for name in sorted({o.section for o in stored}):
            info = sections.lookup(name)
            if info is None:
                _log.warning("ignoring overrides of an unknown config section", section=name)
                continue
            try:
                value = apply(info, self.base[name], [o for o in stored if o.section == name])
            except OverrideError as exc:
                _log.error("cannot apply stored config overrides", section=name, err=exc.message)
                continue
            self._put_live(name, value)

    # -- reading
    async def _stored(self, section: str | None) -> list[Override]:
        pattern = None if section is None else f"{section}/*"
        docs = await self.store.list(KIND, pattern=pattern)
        return [Override.from_doc(d) for d in docs]

    async def merged(self, name: str) -> Any:
        """The section's value with its stored overrides (what GET shows)."""
        info = sections.overridable()[name]
        try:
            return apply(info, self.base[name], await self._stored(name))
        except OverrideError as exc:
            _log.error("cannot apply stored config overrides", section=name, err=exc.message)
            return self.base[name]

    async def elements(self, name: str) -> list[tuple[str, Any]]:
        """(element name, element) for each element of the merged section."""
        info = sections.overridable()[name]
        value = await self.merged(name)
        return [(sections.element_id(info, e), e) for e in sections.elements(info, value)]

    # -- updating
    async def update(self, action: UpdateAction) -> None:
        """Apply one POST: check it, merge, store the change in one transaction, put it live."""
        validate(action)
        info = sections.lookup(action.section)
        if info is None:
            raise OverrideError(f"unknown section: {action.section}", 404)
        async with self._lock:
            stored = {o.id: o for o in await self._stored(info.name)}
            if action.remove:
                puts, deletes = [], [f"{info.name}/{r}" for r in action.remove]
            elif action.add:
                puts, deletes = [self._added(info, action, stored)], []
            else:
                puts, deletes = self._changed(info, action, stored)
            after = dict(stored)
            for o in puts:
                after[o.id] = o
            for oid in deletes:
                after.pop(oid, None)
            value = apply(info, self.base[info.name], list(after.values()))
            async with self.store.transaction() as tx:
                for o in puts:
                    await tx.put(KIND, o.id, o.to_doc())
                for oid in deletes:
                    await tx.delete(KIND, oid)
            self._put_live(info.name, value)
        _log.info("config section overridden", section=info.name, element=action.element)

    async def reapply(self, name: str) -> None:
        """Overrides of one section changed elsewhere (a cluster peer): put the result live here."""
        if not self.enabled or self.config.skip_config_overrides:
            return
        if sections.lookup(name) is None or name not in self.base:
            return
        self._put_live(name, await self.merged(name))

    def _put_live(self, name: str, value: Any) -> None:
        """Make the section's new value current; a listener's failure does not undo the change."""
        try:
            self.config.set(name, value)
        except Exception as exc:
            _log.error("a config change listener failed", section=name, err=repr(exc))

    def _added(
        self, info: SectionInfo, action: UpdateAction, stored: dict[str, Override]
    ) -> Override:
        key = sections.element_key(info)
        if not key:
            raise OverrideError(
                f'failed to apply update: section "{info.name}" is not a list, '
                "cannot add new element"
            )
        options = _canonical(info, action.add)
        if key not in options:
            raise OverrideError(f'failed to apply update: missing key "{key}" in "add" map')
        element = options[key]
        if not isinstance(element, str):
            raise OverrideError(
                f'failed to apply update: expected "{key}" key to be a string, '
                f"got {json_kind(element)}"
            )
        o = Override(info.name, element, options, create=True)
        if o.id in stored:
            raise OverrideError(
                f"failed to apply update: cannot add new override, "
                f"override already exists for {o.id}"
            )
        return o

    def _changed(
        self, info: SectionInfo, action: UpdateAction, stored: dict[str, Override]
    ) -> tuple[list[Override], list[str]]:
        oid = f"{info.name}/{action.element}"
        known = oid in stored or any(
            sections.element_id(info, e) == action.element
            for e in sections.elements(info, self.base[info.name])
        )
        if not known:
            raise OverrideError(f"unknown section/element: {info.name}/{action.element}", 404)
        old = stored.get(oid)
        o = Override(info.name, action.element, dict(old.options) if old else {})
        o.create = old.create if old else False
        o.options.update(_canonical(info, action.set))
        for name in _canonical(info, dict.fromkeys(action.delete)):
            o.options.pop(name, None)
        if not o.options and not o.create:
            return [], [oid] if old else []
        return [o], []


def _canonical(info: SectionInfo, options: dict[str, Any]) -> dict[str, Any]:
    """Options keyed by their API spelling (`icon_emoji` and `icon-emoji` are one option)."""
    names = sections.options(info.cls)
    out: dict[str, Any] = {}
    for key, value in options.items():
        alt = sections.option_name(norm_key(key))
        out[key if key in names or alt not in names else alt] = value
    return out
