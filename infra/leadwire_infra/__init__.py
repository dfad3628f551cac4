"""CDK infrastructure for Leadwire: one stack, one construct per context."""

from leadwire_infra.application import STACK_NAME, build_app, leadwire_stack
from leadwire_infra.stack import LeadwireStack

__all__ = ["STACK_NAME", "LeadwireStack", "build_app", "leadwire_stack"]
