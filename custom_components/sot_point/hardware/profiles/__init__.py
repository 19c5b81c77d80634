"""Device profiles: one module per device family, shared by client and simulator."""
