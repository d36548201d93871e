"""The pure domain of the store: tickets, stock, pricing, texts. No Discord, Dramatiq or Reflex."""
