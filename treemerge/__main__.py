"""`python -m treemerge`."""

from treemerge.cli.main import main

if __name__ == "__main__":
    main()
