"""The points supermarket for the district: the catalogue all stations offer, and each station's stock."""
