"""One balance per member for the whole district: the authoritative ledger, adjustments and overdrafts."""
