"""The mystery-contact pages: scenarios, personas, waves, contacts."""
