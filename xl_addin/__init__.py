"""xl_addin: validate and consolidate Hebei 领跑者 project tables.

Nothing heavy is imported here: a button click or `xl-addin --help`
must not pay for pandas before it needs it.
"""

__version__ = "0.1.0"
