"""Tasks and templates as a service: validation, storage and the engine, behind a thin API."""
