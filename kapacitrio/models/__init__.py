"""Data models: points, batches, groups, results, line protocol."""
