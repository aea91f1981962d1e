"""The points supermarket (积分兑换超市): catalogue, stock, redemption and void, and the receipt."""
