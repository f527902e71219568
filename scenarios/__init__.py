"""The shipped scenarios, installed as package data of loadgate (read through loadgate.paths)."""
