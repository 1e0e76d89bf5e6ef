"""Rapport's pure domain: rules and entities, no I/O. The clock is passed in as `now`."""
