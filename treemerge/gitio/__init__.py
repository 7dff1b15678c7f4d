"""All git I/O: every git process through gitio.run; objects through gitio.objects."""
