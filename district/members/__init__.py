"""The district's member register: members and volunteers, their cards, roles and grids, and the rosters
each station receives with the district's balances."""
