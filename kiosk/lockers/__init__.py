"""The lockers (umbrellas and phone charging): the slot state machine, its timers, and loans."""
