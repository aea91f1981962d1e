"""The sync process: the station's link to the district over MQTT."""
