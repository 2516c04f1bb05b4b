"""Demo data: the Huyi district (鄠邑区) as in the seed's implementation plan."""
