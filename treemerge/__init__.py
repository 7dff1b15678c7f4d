"""treemerge: subsystem trees, ownership checks and pull requests, the way the kernel runs."""

__version__ = "0.1.0"
