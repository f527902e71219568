"""loadgate: will this release hold the load, yes or no, and how sure are we?"""

__version__ = "0.1.0"
