"""The seller dashboard (Reflex). Pages, components and state arrive with the dashboard issue."""
