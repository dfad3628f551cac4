"""The web console: static files (no build step) that call the admin API from the browser.

``leadwire local`` serves them at ``/console/`` beside the admin API; ``leadwire console --stack``
serves them on loopback and forwards the admin calls, signed, to a deployed stack (``proxy``).
"""
