"""newsplus-govinfo — government information: department notices, livelihood topics, pins and pop-ups."""
