"""The shipped notebooks, installed as package data of loadgate (read through loadgate.paths)."""
