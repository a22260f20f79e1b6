"""InfluxQL: the SELECT statements of batch queries, parsed with a grammar and rebuilt per window."""
