"""The API resources of mystery contacts: scenarios, personas, waves and inquiries, contacts."""
