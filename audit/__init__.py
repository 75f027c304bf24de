"""timeaudit's engine: classify → account → boundaries → focus → report (SPEC.md)."""
