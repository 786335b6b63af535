"""The forms of the mystery-contact pages: scenarios, personas, waves, contacts."""
