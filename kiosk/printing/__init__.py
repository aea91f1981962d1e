"""The print spooler: every slip is a durable job, sent to the printer by one worker (jobs.py, spooler.py)."""
