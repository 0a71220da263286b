"""Tests of glassbox.audit."""
