"""What the store says to Discord and hears back, in one place: the custom-id grammar of every
button, menu and modal (`custom_ids`), and the component and embed builders that keep within
Discord's limits (`components`, `embeds`). The bot, the workers and the panel renderer all build
through here, and the bot's router parses through here, so renaming a button is one edit."""
