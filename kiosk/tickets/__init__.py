"""The queue: taking tickets, the calling rules at the counters, waits and the board, and the ticket's paper."""
