"""Operators of the web console: accounts, password hashing, throttled sign-in."""
