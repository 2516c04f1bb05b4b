"""The city 好差评 system: field-mapping profiles, signed pushes, a local simulator."""
