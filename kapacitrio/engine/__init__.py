"""The runtime: TaskMaster, one nursery per task, edges, router, clock and stats."""
