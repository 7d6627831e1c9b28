"""newsplus-wenzheng — 问政 inquiries: residents' questions and complaints, dispatched to departments
and answered within deadlines."""
