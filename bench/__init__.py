"""``make bench``: the API measured against its own stack's floor, at scale, in one run.

Run ``python -m bench --help`` for the options; the README's "Benchmark" section
explains what is measured and how to read the table. Nothing in ``clinic`` or
``tests`` imports this package.
"""
