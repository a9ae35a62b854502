"""The newsroom's side: validating, storing and listing our own articles."""
