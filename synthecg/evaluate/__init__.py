"""Evaluation of synthetic ECGs against real ones (fidelity, diversity, privacy)."""

from .privacy import PrivacyAudit, privacy_audit

__all__ = ["PrivacyAudit", "privacy_audit"]
