"""The wenzheng plugin's hooks. It loads through its entry point; its features arrive with its own issue."""

name = "wenzheng"
requires_newsplus = ">=0.1,<0.2"
