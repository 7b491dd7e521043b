"""Business operations. No Flask here: each function takes a database handle and
plain values, and raises a domain error (with a stable code and a sentence a
member understands) that the route layer turns into an HTTP response.
"""
