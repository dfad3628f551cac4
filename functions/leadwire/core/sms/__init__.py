"""SMS: templates, phone numbers and inbound STOP replies (pure; the adapter is ``actions.sms``)."""
