"""Configuration overrides: API-set options stored in SQLite, merged over the file and environment.

`service.ConfigOverrideService` (started by the `plugin` module, first of the plugins) keeps the
file+environment value of every overridable section, applies the stored overrides at startup
(unless `skip-config-overrides`), answers the `/config` API and puts changed sections live with
`Config.set`, so services reading their section from the config object see a change at once.
"""
