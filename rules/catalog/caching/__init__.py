"""Rules about caching (ElastiCache, API Gateway caches)."""
