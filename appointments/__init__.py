"""The appointment center (预约中心): booking plans, slots and places, bookings, check-in,
no-show rules and the blacklist."""
