"""The process supervisor behind `./store run` and the embedded MongoDB/Redis it starts: above every
product layer (it starts the workers, the bot, the dashboard and, in demo mode, the Discord sandbox
as processes)."""
