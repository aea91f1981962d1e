"""What the district sends the station: documents and their kinds, the command inbox and its executors."""
