"""Reporters: console (Rich), JSON, Markdown, and later JUnit and GitHub."""
