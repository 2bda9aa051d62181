"""Test fakes: stand-ins the tests plug into the runtime code, never imported by it."""
