"""newsplus-services — life services: the 17 service modules (要结婚, 生小孩 …) and districts' own."""
