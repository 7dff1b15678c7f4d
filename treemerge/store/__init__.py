"""Durable workspace records (pull requests), written atomically."""
