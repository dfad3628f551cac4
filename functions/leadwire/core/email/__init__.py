"""Email: messages, templates and SES feedback (pure).

``message``: the ``EmailMessage`` handed to a sender, its SES tags, and the send errors.
``templates``: templates as code (Jinja2, sandboxed), parsed at config load, rendered per lead.
``feedback``: SES event-publishing records back into lead events.
``unsubscribe``: the signed tokens of one-click unsubscribe links (RFC 8058).
"""
