"""Segment insight, pure: size guidance, series from flips, top events, conversion, replay."""
