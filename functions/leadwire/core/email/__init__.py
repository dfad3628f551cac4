"""Email: messages, templates and SES feedback (pure)."""
