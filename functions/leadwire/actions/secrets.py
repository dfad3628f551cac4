"""Secret references: ``env:NAME``, ``ssm:/path`` (SecureString) or a Secrets Manager ARN.

Values from SSM and Secrets Manager are cached per container (for ``cache_seconds``, so a
rotated secret is picked up); the boto3 clients are created on first use only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from leadwire.core.secret_reference import FORMS, SecretReference

DEFAULT_CACHE_SECONDS = 300.0


class SecretError(RuntimeError):
    """A secret reference that cannot be resolved (missing variable, parameter or secret)."""


class SecretResolver:
    def __init__(
        self,
        ssm: Callable[[], Any],
        secretsmanager: Callable[[], Any],
        *,
        env: Mapping[str, str] | None = None,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ssm_factory = ssm
        self._secretsmanager_factory = secretsmanager
        self._ssm: Any = None
        self._secretsmanager: Any = None
        self._env = env
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, str]] = {}

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
        cached = self._cache.get(ref)
        now = self._monotonic()
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        if reference.store == "ssm":
            value = self._from_ssm(reference.name)
        else:
            value = self._from_secrets_manager(reference.name)
        self._cache[ref] = (now, value)
        return value

    def _from_ssm(self, name: str) -> str:
        if self._ssm is None:
            self._ssm = self._ssm_factory()
        try:
            response = self._ssm.get_parameter(Name=name, WithDecryption=True)
        except self._ssm.exceptions.ParameterNotFound:
            raise SecretError(f"secret ssm:{name}: no such SSM parameter") from None
        return str(response["Parameter"]["Value"])

    def _from_secrets_manager(self, arn: str) -> str:
        if self._secretsmanager is None:
            self._secretsmanager = self._secretsmanager_factory()
        try:
            response = self._secretsmanager.get_secret_value(SecretId=arn)
        except self._secretsmanager.exceptions.ResourceNotFoundException:
            raise SecretError(f"secret {arn}: no such secret in Secrets Manager") from None
        if "SecretString" in response:
            return str(response["SecretString"])
        return bytes(response["SecretBinary"]).decode("utf-8")
