"""Domain events (a transactional outbox delivered at least once) and scheduled jobs."""
