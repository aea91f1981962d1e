-- Door-step service (上门服务): where the help is to be given. A building of the community
-- ([[help.buildings]]), its unit and the door number the resident keyed in. Like the phone number
-- it stays at the station: shown in full only to the assigned member, masked elsewhere.
ALTER TABLE help_requests ADD COLUMN address_building TEXT;
ALTER TABLE help_requests ADD COLUMN address_unit TEXT;
ALTER TABLE help_requests ADD COLUMN address_door TEXT;
