"""The seller dashboard (Reflex): the app and its HTTP routes (app.py), one module per page
(pages/), shared components (components/)."""
