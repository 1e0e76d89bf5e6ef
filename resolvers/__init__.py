"""Use cases: load, decide (domain), save. Domain errors become payload problems here."""
