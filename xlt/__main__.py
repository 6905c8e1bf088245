"""``python -m xlt``: the same commands as the ``xlt`` console script (:mod:`xlt.cli`)."""

from xlt.cli import main

if __name__ == "__main__":
    main()
