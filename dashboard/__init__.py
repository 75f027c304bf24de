"""The timeaudit dashboard: views, charts and cached loaders around the audit engine."""
