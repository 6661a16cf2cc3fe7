"""Policies that drive a robot: the protocol, discovery, feature matching, and the built-in scripted policy."""

from lerec.policies.base import Policy
from lerec.policies.scripted import ScriptedPolicyConfig
from lerec.policies.types import PolicyType

__all__ = ["Policy", "PolicyType", "ScriptedPolicyConfig"]
