"""The command line: click commands that parse, call one app function, and render."""
