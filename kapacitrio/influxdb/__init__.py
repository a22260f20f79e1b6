"""InfluxDB 1.x client: query and write."""
