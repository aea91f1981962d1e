"""Members and staff: cards and the roster, staff PINs, the points ledger, and visits (check-in, hours → points)."""
