"""Settings split by purpose: base (everything, from the environment), local, test, production."""
