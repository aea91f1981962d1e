"""Shared plumbing of the station core: the store and its migrations, the outbox, time, the screens' bus,
errors, the hardware ports, paper texts, device states and systemd notices."""
