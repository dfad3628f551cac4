"""The admin API's resolver: path parameters percent-decoded, as API Gateway decodes them.

Powertools matches routes on ``rawPath``, which keeps the client's encoding, and passes the
matched text on as is: ``/leads/Jos%C3%A9%20%C3%91`` would look up the lead ``Jos%C3%A9%20%C3%91``.
Matching on the encoded path and decoding each parameter afterwards also keeps an encoded ``/``
(``%2F``) inside its parameter instead of splitting the route.
"""

from __future__ import annotations

from re import Match
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver


class DecodingHttpResolver(APIGatewayHttpResolver):
    def _convert_matches_into_route_keys(self, match: Match[str]) -> dict[str, str]:
        return {name: unquote(value) for name, value in match.groupdict().items()}
