"""The SES feedback consumer: engagement events (delivery, open, click, bounce, ...) back into leads."""
