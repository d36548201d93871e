"""The dashboard's look in one place."""

ACCENT = "indigo"
SIDEBAR_WIDTH = "220px"
DISCORD_BG = "#313338"
DISCORD_EMBED_BG = "#2b2d31"
DISCORD_TEXT = "#dbdee1"
BUTTON_COLORS = {"primary": "#5865f2", "secondary": "#4e5058", "success": "#248046", "danger": "#da373c"}

page = {"padding": "1.5em", "width": "100%", "max_width": "1200px"}
card = {"padding": "1em", "border_radius": "10px", "border": "1px solid var(--gray-5)", "width": "100%"}
