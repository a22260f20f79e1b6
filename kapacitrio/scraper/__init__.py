"""`[[scraper]]`: Prometheus targets found by static or file discovery, scraped into a db/rp."""
