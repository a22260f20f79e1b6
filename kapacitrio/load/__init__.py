"""The load directory: tasks, templates and topic handlers defined by files, loaded at start and on reload."""
