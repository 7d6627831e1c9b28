"""newsplus-activities — activities: events with registration, voting contests, merchants and coupons."""
