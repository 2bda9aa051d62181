"""icpwatch: is the licence number on the homepage, as clause 2 of the licence requires?"""

__version__ = "0.1.0"
