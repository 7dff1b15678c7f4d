"""All git I/O: pygit2 for objects in process, the git CLI for transport and plumbing."""
