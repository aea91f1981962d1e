"""Reports per station and for the district: figures by day, week or month, CSV and a printable month."""
