"""Help requests (群众点单、社区派单、党员接单): the help desk, its slip and its words."""
