"""``make demo`` (``leadwire demo``): ``driver`` runs the scenes in order against ``leadwire local``;
``world`` holds the stand-ins around the pipeline, ``report`` what is printed, ``checks`` what is
asserted; ``data`` generates the bundled sessions and each other module is one scene."""
