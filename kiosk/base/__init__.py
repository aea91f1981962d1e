"""Shared plumbing of the station core: the store and its migrations, the outbox, time, the screens' bus,
errors, the hardware ports, paper texts and printing, device states and systemd notices."""
