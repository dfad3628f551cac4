"""Privacy: erase and export a lead, and the suppression of erased ids (DESIGN.md, "Privacy")."""
