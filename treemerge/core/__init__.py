"""The pure domain: parsing, ownership matching, policy. No I/O happens here."""
