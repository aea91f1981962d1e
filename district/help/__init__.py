"""Help requests across the district: the stations' requests, the dispatcher's screen, return visits."""
