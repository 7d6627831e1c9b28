"""Users: residents and staff, departments, roles and permissions, sessions and tokens."""
