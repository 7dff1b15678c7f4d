"""Use cases: combine core, gitio, deliver and store; return results, never print."""
