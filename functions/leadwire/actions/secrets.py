"""Secret references: ``env:NAME``, ``ssm:/path`` (SecureString) or a Secrets Manager ARN.

SSM and Secrets Manager are read through Powertools Parameters, whose providers cache each value
per container for ``cache_seconds`` (so a rotated secret is picked up); the providers and their
boto3 clients are created on first use only. A reference that names nothing is a
``SecretError`` (permanent: the caller reports it); anything else (throttling, an outage) is
raised as botocore raised it, so the batch is retried.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Final

from botocore.exceptions import ClientError

from leadwire.core.secret_reference import FORMS, SecretReference

DEFAULT_CACHE_SECONDS = 300
NOT_FOUND: Final = frozenset({"ParameterNotFound", "ResourceNotFoundException"})


class SecretError(RuntimeError):
    """A secret reference that cannot be resolved (missing variable, parameter or secret)."""


class SecretResolver:
    def __init__(
        self,
        ssm: Callable[[], Any],
        secretsmanager: Callable[[], Any],
        *,
        env: Mapping[str, str] | None = None,
        cache_seconds: int = DEFAULT_CACHE_SECONDS,
    ) -> None:
        self._clients = {"ssm": ssm, "secretsmanager": secretsmanager}
        self._providers: dict[str, Any] = {}
        self._env = env
        self._cache_seconds = cache_seconds

    def resolve(self, ref: str) -> str:
        reference = SecretReference.parse(ref)
        if reference is None:
            raise SecretError(f"{ref!r} is not a secret reference ({FORMS})")
        if reference.store == "env":
            name = reference.name
            env = os.environ if self._env is None else self._env
            value = env.get(name)
            if value is None:
                raise SecretError(f"secret {ref}: the environment variable {name} is not set")
            return value
        if reference.store == "ssm":
            return self._get("ssm", reference.name, f"secret ssm:{reference.name}: no such SSM parameter")
        return self._get(
            "secretsmanager", reference.name, f"secret {reference.name}: no such secret in Secrets Manager"
        )

    def _get(self, store: str, name: str, missing: str) -> str:
        from aws_lambda_powertools.utilities.parameters import GetParameterError

        options = {"decrypt": True} if store == "ssm" else {}
        try:
            value = self._provider(store).get(name, max_age=self._cache_seconds, **options)
        except GetParameterError as error:
            cause = error.__cause__ or error.__context__  # what the SDK raised
            if isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") in NOT_FOUND:
                raise SecretError(missing) from None
            raise (cause or error) from None
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    def _provider(self, store: str) -> Any:
        provider = self._providers.get(store)
        if provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider

            kind = SSMProvider if store == "ssm" else SecretsProvider
            provider = self._providers[store] = kind(boto3_client=self._clients[store]())
        return provider
