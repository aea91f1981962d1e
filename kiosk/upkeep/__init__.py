"""Keeping a station well: `init`, `check`, backup and restore, and reaching the broker."""
