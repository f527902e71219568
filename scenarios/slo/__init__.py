"""The shipped SLO files, installed as package data of loadgate."""
