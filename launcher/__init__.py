"""The process supervisor behind `./store run`, the embedded MongoDB/Redis it starts, and the demo
store it seeds in sandbox mode: above every product layer (it starts the workers, the bot, the
dashboard and, in demo mode, the Discord sandbox as processes)."""
