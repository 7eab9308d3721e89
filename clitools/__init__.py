"""Command-line conventions every tool of this project follows (``localcloud``, ``reconciler``,
``python -m policies.check``): one-line errors with no usage dump, defaults in ``--help``, values
checked by argparse types before any work starts, and output that is never wrapped mid-token
when it goes to a file or a pipe.
"""
