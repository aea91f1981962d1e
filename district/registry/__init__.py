"""The station registry and its credentials: who may talk to the hub, and with which keys."""
