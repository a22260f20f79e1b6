"""SQLite storage of tasks, templates, topics, handlers, overrides and kkok state."""
