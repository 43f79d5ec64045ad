"""Prices (catalogue, Spot Advisor, overrides) and per-second billing."""
