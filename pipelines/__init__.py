"""Hera definitions of the Argo workflows. Wiring only; no business logic."""
